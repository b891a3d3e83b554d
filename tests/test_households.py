import pytest
from django.core.exceptions import ValidationError

from grids import services as grid_services
from grids.models import Level
from residents import services
from residents.models import Household
from tests.conftest import first_under
from tests.support import idn


def test_household_columns_follow_a_moved_subtree(community_a, community_b):
    grid = first_under(community_a, Level.GRID)
    stairwell = first_under(grid, Level.STAIRWELL)
    household = services.create_household(stairwell=stairwell, room="101")
    assert (household.community_id, household.grid_id) == (community_a.pk, grid.pk)
    grid_services.move_node(node=grid, new_parent=community_b)
    household.refresh_from_db()
    assert household.community_id == community_b.pk and household.grid_id == grid.pk
    assert household.micro_grid_id == stairwell.parent_id


def test_a_stairwell_with_households_cannot_be_deleted(street):
    stairwell = first_under(street, Level.STAIRWELL)
    services.create_household(stairwell=stairwell, room="101")
    with pytest.raises(ValidationError) as error:
        grid_services.delete_node(node=stairwell)
    assert "户" in error.value.messages[0] or "household" in error.value.messages[0]


def test_add_person_checks_the_id_against_sex_and_birth_date(street):
    household = services.create_household(
        stairwell=first_under(street, Level.STAIRWELL), room="101"
    )
    number = idn("330106", "19800101", 11)
    with pytest.raises(ValidationError):
        services.add_person(household=household, name="甲", id_number=number, sex="F")
    with pytest.raises(ValidationError):
        services.add_person(
            household=household,
            name="甲",
            id_number=number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
        )
    person = services.add_person(
        household=household, name="甲", id_number=number.lower(), relation="head"
    )
    assert person.sex == "M" and person.birth_date.year == 1980
    assert Household.objects.get().members.count() == 1


def test_deleted_person_can_be_restored_from_history(street):
    household = services.create_household(
        stairwell=first_under(street, Level.STAIRWELL), room="101"
    )
    person = services.add_person(
        household=household, name="乙", id_number=idn("330106", "19900101", 12)
    )
    pk = person.pk
    person.delete()
    last = person.history.model.objects.filter(id=pk).latest("history_date")
    assert last.history_type == "-"
    last.instance.save()
    assert household.members.get().pk == pk


def test_a_death_dates_the_person_and_leaves_the_party_list(street):
    import datetime

    from residents.selectors import party_members

    household = services.create_household(
        stairwell=first_under(street, Level.STAIRWELL), room="101"
    )
    person = services.add_person(
        household=household,
        name="丙",
        id_number=idn("330106", "19400101", 13),
        political_status="party_member",
    )
    other = services.create_household(stairwell=first_under(street, Level.STAIRWELL), room="102")
    with pytest.raises(ValidationError):
        services.record_life_event(
            household=other, kind="death", occurred_on=datetime.date(2026, 11, 1), person=person
        )
    services.record_life_event(
        household=household, kind="death", occurred_on=datetime.date(2026, 11, 1), person=person
    )
    person.refresh_from_db()
    assert person.deceased_on == datetime.date(2026, 11, 1)
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x")
    assert not party_members(root).filter(pk=person.pk).exists()
