"""The register import and flats: several households in one flat (一房多户), one flat's values.

A row resolves to a flat by its address; different 户号 at one address are
different households of that flat. The flat's area and status are the
flat's, whichever household's row gives them, so two rows that disagree are
an error naming both lines.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from residents import services
from residents.import_engine import ImportRejected
from residents.models import Flat, Household, ImportBatch, Person
from residents.services import import_now
from tests.support import idn
from tests.test_register_import import EVERYTHING, GOOD, register
from tests.test_register_import import snapshot as roster

RELATION, AREA = 6, 12


def snapshot():
    return (*roster(), list(Flat.objects.order_by("pk").values_list()))


def tenant(number: str, name: str, id_number: str, *, address: str = "和达城1幢1单元101室"):
    """A tenant household of one person in 张伟's flat (H001 at 101)."""
    return [number, name, "", "汉族", id_number, "", "户主", address, "", "群众", "流动", "", ""]


@pytest.fixture
def ids():
    return [idn("110101", "19900101", seq) for seq in range(100, 200)]


def test_two_household_numbers_at_one_address_are_two_households_of_one_flat(street, ids):
    rows = [row[:] for row in GOOD[:3]] + [tenant("H010", "孙租", ids[0])]
    result = import_now(data=register(rows), filename="r.csv", scope=EVERYTHING)
    assert (result.flats_created, result.households_created) == (1, 2)
    flat = Flat.objects.get()
    assert sorted(flat.households.values_list("number", flat=True)) == ["H001", "H010"]
    assert str(flat.area) == "89.50" and flat.housing_status == "owner_occupied"
    assert Person.objects.get(name="孙租").household.flat == flat

    again = import_now(data=register(rows), filename="r.csv", scope=EVERYTHING)
    assert again.unchanged == 4
    assert (again.flats_created, again.flats_updated, again.households_updated) == (0, 0, 0)


def test_rows_that_give_one_flat_two_areas_are_refused_naming_both_lines(street, ids):
    other = tenant("H010", "孙租", ids[0])
    other[AREA] = "75"
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=register([GOOD[0][:], other]), filename="r.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert (problem.line, problem.code, problem.column) == (4, "flat_disagrees", "建筑面积")
    assert "3" in problem.message.replace("建筑面积", "")  # the first line, by number
    assert "89.5" in problem.message and "75" in problem.message
    assert snapshot() == before


def test_a_row_without_number_in_a_shared_flat_must_say_which_household(street, ids):
    rows = [GOOD[0][:], tenant("H010", "孙租", ids[0])]
    import_now(data=register(rows), filename="r.csv", scope=EVERYTHING)
    before = snapshot()
    newcomer = tenant("", "周新", ids[1])
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=register([newcomer]), filename="r.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert (problem.line, problem.code) == (3, "which_household")
    assert snapshot() == before


def test_a_flat_with_one_household_takes_a_second_by_its_number(street, ids):
    import_now(data=register([GOOD[0][:]]), filename="a.csv", scope=EVERYTHING)
    result = import_now(
        data=register([tenant("H010", "孙租", ids[0])]), filename="b.csv", scope=EVERYTHING
    )
    assert (result.flats_created, result.households_created) == (0, 1)
    assert Household.objects.get(number="H001").flat.households.count() == 2


def test_undo_removes_the_flats_it_created_and_refuses_when_one_took_a_household(street, ids):
    import_now(data=register([GOOD[0][:]]), filename="a.csv", scope=EVERYTHING)
    before = snapshot()
    result = import_now(data=register([GOOD[4][:]]), filename="b.csv", scope=EVERYTHING)
    assert result.flats_created == 1
    batch = ImportBatch.objects.get(pk=result.batch_id)
    flat = Flat.objects.get(room="301")
    services.create_household(stairwell=flat.stairwell, room="301", number="H099")
    with pytest.raises(ValidationError, match="1"):
        services.undo_import(batch=batch, user=None)
    Household.objects.filter(number="H099").delete()
    services.undo_import(batch=ImportBatch.objects.get(pk=batch.pk), user=None)
    assert snapshot()[1:] == before[1:]
    assert not Flat.objects.filter(room="301").exists()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    layout=st.lists(
        st.tuples(st.integers(0, 2), st.booleans(), st.integers(1, 3)), min_size=1, max_size=6
    )
)
def test_households_land_in_the_flats_their_rows_name(street, ids, layout):
    """Any mix of households (numbered or not) over three rooms imports as the rows say.

    Each household: (room, has a 户号, members). A room gets at most one
    household without a 户号 (two would be one household).
    """
    Person.objects.all().delete()
    Household.objects.all().delete()
    Flat.objects.all().delete()
    rows, expected, unnumbered, next_id = [], {}, set(), 0
    for index, (room, numbered, members) in enumerate(layout):
        if not numbered and room in unnumbered:
            numbered = True
        if not numbered:
            unnumbered.add(room)
        number = f"N{index}" if numbered else ""
        address = f"和达城1幢1单元10{room + 1}室"
        for member in range(members):
            row = tenant(number, f"人{index}-{member}", ids[next_id], address=address)
            row[RELATION] = "户主" if member == 0 else "子"
            rows.append(row)
            next_id += 1
        expected.setdefault(f"10{room + 1}", []).append(members)
    import_now(data=register(rows), filename="r.csv", scope=EVERYTHING)
    stored = {
        flat.room: sorted(h.members.count() for h in flat.households.all())
        for flat in Flat.objects.all()
    }
    assert stored == {room: sorted(sizes) for room, sizes in expected.items()}
    again = import_now(data=register(rows), filename="r.csv", scope=EVERYTHING)
    assert again.unchanged == len(rows) and again.households_updated == 0
