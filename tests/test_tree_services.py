import pytest
from django.core.exceptions import ValidationError

from grids import services
from grids.integrity import check_trees
from grids.models import Level, Node, Role
from tests.conftest import first_under


def assert_tree_ok():
    _trees, faults = check_trees()
    assert faults == []


def test_create_street_and_descend(db):
    street = services.create_node(parent=None, code="330106009", name="翠苑街道")
    community = services.create_node(parent=street, code="330106009001", name="翠苑一区社区")
    grid = services.create_node(
        parent=community, code="330106009001001", name="第1网格", compound="翠苑一区"
    )
    micro = services.create_node(parent=grid, code="33010600900100101", name="第1微网格")
    stairwell = services.create_node(
        parent=micro, code="33010600900100101001", name="3幢2单元", building="3", unit="2"
    )
    assert [n.level for n in (street, community, grid, micro, stairwell)] == list(range(5))
    # a stairwell carries its compound so addresses resolve in one lookup
    assert micro.compound == "翠苑一区" and stairwell.compound == "翠苑一区"
    assert_tree_ok()


def test_a_node_may_only_hang_under_the_level_above(street):
    grid = first_under(street, Level.GRID)
    with pytest.raises(ValidationError):
        services.create_node(
            parent=grid, code=grid.code + "001", name="跳级楼道", building="1", unit="1"
        )
    assert not Node.objects.filter(name="跳级楼道").exists()


def test_code_must_extend_parent_code(street):
    with pytest.raises(ValidationError) as error:
        services.create_node(parent=street, code="330106999001", name="错码社区")
    assert "code" in error.value.message_dict


def test_duplicate_code_is_refused(street, community_a):
    with pytest.raises(ValidationError):
        services.create_node(parent=street, code=community_a.code, name="重复")


def test_below_stairwell_there_is_nothing(street):
    stairwell = first_under(street, Level.STAIRWELL)
    with pytest.raises(ValidationError):
        services.create_node(parent=stairwell, code=stairwell.code + "1", name="x")


def test_rename_keeps_position(community_a):
    before = (community_a.lft, community_a.rght, community_a.tree_id)
    services.update_node(node=community_a, name="邻里社区（新）")
    community_a.refresh_from_db()
    assert community_a.name == "邻里社区（新）"
    assert (community_a.lft, community_a.rght, community_a.tree_id) == before


def test_update_node_refuses_tree_fields(community_a):
    with pytest.raises(TypeError):
        services.update_node(node=community_a, code="1")


def test_move_recodes_the_subtree(community_a, community_b):
    grid = first_under(community_a, Level.GRID)
    size = grid.get_descendant_count()
    services.move_node(node=grid, new_parent=community_b)
    grid.refresh_from_db()
    assert grid.parent_id == community_b.pk
    assert grid.code.startswith(community_b.code)
    assert all(n.code.startswith(grid.code) for n in grid.get_descendants())
    assert grid.get_descendant_count() == size
    assert_tree_ok()


def test_move_refuses_a_level_jump(community_a, street):
    micro = first_under(community_a, Level.MICRO_GRID)
    with pytest.raises(ValidationError):
        services.move_node(node=micro, new_parent=community_a)
    assert_tree_ok()


def test_delete_refuses_children(community_a):
    with pytest.raises(ValidationError) as error:
        services.delete_node(node=community_a)
    assert "2" in error.value.messages[0]
    assert Node.objects.filter(pk=community_a.pk).exists()


def test_delete_refuses_people(street):
    stairwell = first_under(street, Level.STAIRWELL)
    staff = services.create_staff(home_node=stairwell, name="王芳")
    services.assign(staff=staff, node=stairwell, role=Role.STAIRWELL_LEADER)
    count = Node.objects.count()
    with pytest.raises(ValidationError):
        services.delete_node(node=stairwell)
    assert Node.objects.count() == count


def test_delete_leaf_and_street(db):
    street = services.create_node(parent=None, code="330106010", name="临时街道")
    community = services.create_node(parent=street, code="330106010001", name="临时社区")
    services.delete_node(node=community)
    services.delete_node(node=street)
    assert not Node.objects.filter(code__startswith="330106010").exists()
    assert_tree_ok()


def test_roles_only_at_their_level(street, community_a):
    staff = services.create_staff(home_node=community_a, name="李强")
    with pytest.raises(ValidationError):
        services.assign(staff=staff, node=community_a, role=Role.STAIRWELL_LEADER)
    services.assign(staff=staff, node=community_a, role=Role.VOLUNTEER)


def test_ledger_rolls_up(street, community_a):
    from decimal import Decimal

    from grids.selectors import ledger

    grid = first_under(community_a, Level.GRID)
    stairwell = first_under(grid, Level.STAIRWELL)
    services.update_node(node=stairwell, exits=2)
    services.update_node(node=grid, exits=1)
    services.add_supply(
        node=grid, item="沙袋", quantity=Decimal("50"), unit="个", location="物业仓库"
    )
    services.add_supply(node=stairwell, item="沙袋", quantity=Decimal("10"), unit="个")
    services.add_supply(node=stairwell, item="手电筒", quantity=Decimal("3"), unit="把")
    result = ledger(community_a)
    assert result.exits == 3
    assert {(s.item, s.quantity) for s in result.supplies} == {("沙袋", 60), ("手电筒", 3)}
    assert result.stairwells == community_a.get_descendants().filter(level=Level.STAIRWELL).count()
    with pytest.raises(ValidationError):
        services.add_supply(node=grid, item="沙袋", quantity=Decimal("-1"), unit="个")
