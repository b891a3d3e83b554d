"""Re-imports that pass a household's head or a household number from one row to another.

Only one person heads a household and only one household of a street has a
number, and the database checks both row by row: a register that hands them
over must still go in, and one that cannot (the holder is not in the file)
must say so and write nothing.
"""

import pytest

from residents.import_engine import ImportRejected
from residents.models import Household, Person, Relation
from residents.services import import_now
from tests.test_register_import import EVERYTHING, GOOD, register, snapshot

NUMBER, NAME, RELATION, ADDRESS = 0, 1, 6, 7


def rows(*indexes: int) -> list[list[str]]:
    return [GOOD[i][:] for i in indexes]


def head_of(number: str) -> str:
    return Person.objects.get(household__number=number, relation=Relation.HEAD).name


def test_a_new_head_listed_before_the_old_one(street):
    import_now(data=register(rows(0, 1, 2)), filename="a.csv", scope=EVERYTHING)
    zhang, li, son = rows(0, 1, 2)
    zhang[RELATION], li[RELATION] = "配偶", "户主"
    result = import_now(data=register([li, zhang, son]), filename="b.csv", scope=EVERYTHING)
    assert (result.persons_updated, result.unchanged) == (2, 1)
    assert head_of("H001") == "李娜"
    assert Person.objects.get(name="张伟").relation == Relation.SPOUSE
    assert Person.objects.get(name="李娜").history.first().relation == Relation.HEAD


def test_the_head_moves_out_to_head_a_new_household_and_the_son_takes_over(street):
    """分户: the old head leaves to head a new flat; his son heads the old one."""
    import_now(data=register(rows(0, 1, 2)), filename="a.csv", scope=EVERYTHING)
    zhang, li, son = rows(0, 1, 2)
    son[RELATION] = "户主"
    li[RELATION] = "母亲"
    zhang[NUMBER], zhang[ADDRESS] = "H009", "和达城1幢1单元102室"
    result = import_now(data=register([son, li, zhang]), filename="b.csv", scope=EVERYTHING)
    assert (result.households_created, result.persons_updated) == (1, 3)
    assert head_of("H001") == "张小明" and head_of("H009") == "张伟"


def test_a_head_on_record_missing_from_the_file_is_reported(street):
    import_now(data=register(rows(0, 1, 2)), filename="a.csv", scope=EVERYTHING)
    before = snapshot()
    li, son, wang = rows(1, 2, 3)
    li[RELATION] = "户主"
    data = register([li, son, wang])
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=data, filename="b.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert (problem.line, problem.column, problem.code) == (3, "与户主关系", "head_not_listed")
    assert "张伟" in problem.message
    assert snapshot() == before

    result = import_now(data=data, filename="b.csv", scope=EVERYTHING, skip_invalid=True)
    assert (result.households_created, result.persons_created, result.persons_updated) == (1, 1, 0)
    assert head_of("H001") == "张伟" and head_of("H002") == "王芳"


def test_two_households_swap_their_numbers(street):
    import_now(data=register(rows(0, 3)), filename="a.csv", scope=EVERYTHING)
    zhang, wang = rows(0, 3)
    zhang[NUMBER], wang[NUMBER] = "H002", "H001"
    result = import_now(data=register([zhang, wang]), filename="b.csv", scope=EVERYTHING)
    assert result.households_updated == 2
    assert head_of("H001") == "王芳" and head_of("H002") == "张伟"
    assert Household.objects.get(number="H001").history.count() == 2


def test_a_number_kept_by_a_household_not_in_the_file_is_reported(street):
    import_now(data=register(rows(0, 3)), filename="a.csv", scope=EVERYTHING)
    before = snapshot()
    [zhao] = rows(4)
    zhao[NUMBER] = "H002"
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=register([zhao]), filename="b.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert (problem.line, problem.column, problem.code) == (3, "户号", "number_taken")
    holder = Household.objects.get(number="H002")
    assert "502" in problem.message and holder.stairwell.code in problem.message
    assert snapshot() == before


def test_leaving_out_one_household_can_leave_out_the_one_its_head_came_from(street):
    """张伟 may not head a flat under a number 王芳's household keeps, so he is
    not written, so he still heads H001, so 李娜 cannot take it over either."""
    import_now(data=register(rows(0, 1, 2, 3)), filename="a.csv", scope=EVERYTHING)
    before = snapshot()
    zhang, li, son, zhao = rows(0, 1, 2, 4)
    li[RELATION] = "户主"
    zhang[NUMBER], zhang[ADDRESS] = "H002", zhao[ADDRESS]
    result = import_now(
        data=register([li, son, zhang]), filename="b.csv", scope=EVERYTHING, skip_invalid=True
    )
    assert {(p.line, p.code) for p in result.errors} == {
        (3, "head_not_listed"),
        (5, "number_taken"),
    }
    assert snapshot() == before
