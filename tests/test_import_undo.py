"""Undoing an import: everything back as it was, in bulk, never over what came later."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from residents import services
from residents.models import Household, ImportBatch, LifeEventKind, Person, Relation, Tag
from residents.services import import_now
from tests.test_register_changes import ADDRESS, NUMBER, RELATION, head_of, rows
from tests.test_register_import import EVERYTHING, register, snapshot


def imported(data: bytes) -> ImportBatch:
    result = import_now(data=data, filename="register.csv", scope=EVERYTHING)
    assert result.batch_id is not None
    return ImportBatch.objects.get(pk=result.batch_id)


def test_undo_hands_the_head_and_the_number_back(street):
    imported(register(rows(0, 1, 2, 3)))
    before = snapshot()
    zhang, li, son, wang = rows(0, 1, 2, 3)
    zhang[RELATION], li[RELATION] = "配偶", "户主"
    zhang[NUMBER] = li[NUMBER] = son[NUMBER] = "H002"
    wang[NUMBER] = "H001"
    batch = imported(register([li, zhang, son, wang]))
    assert head_of("H002") == "李娜"
    services.undo_import(batch=batch)
    assert snapshot() == before
    assert head_of("H001") == "张伟"


def test_undo_deletes_what_the_batch_created_and_keeps_it_in_history(street, alice):
    first = imported(register(rows(0, 1, 2)))
    moved = rows(2)
    moved[0][NUMBER], moved[0][ADDRESS], moved[0][RELATION] = "H009", "和达城1幢1单元102室", "户主"
    second = imported(register(moved + rows(3)))
    assert Household.objects.count() == 3
    services.undo_import(batch=second, user=alice)
    assert Household.objects.count() == 1 and Person.objects.count() == 3
    son = Person.objects.get(name="张小明")
    assert son.household.number == "H001" and son.relation == Relation.CHILD
    wang = Person.history.filter(name="王芳").latest()
    assert (wang.history_type, wang.history_user, wang.history_change_reason) == (
        "-",
        alice,
        f"undo:{second.pk}",
    )
    services.restore_household(record=Household.history.filter(number="H002").latest())
    services.restore_person(record=wang)
    assert head_of("H002") == "王芳"
    assert first.status == ImportBatch.Status.APPLIED


def test_undo_is_refused_after_a_later_edit_and_changes_nothing(street):
    batch = imported(register(rows(0, 1, 2)))
    services.update_person(person=Person.objects.get(name="李娜"), phone="13900000009")
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.undo_import(batch=batch)
    assert "1" in refused.value.messages[0]
    assert snapshot() == before
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED


def test_undo_is_refused_after_a_later_import_of_the_same_persons(street):
    first = imported(register(rows(0, 1, 2)))
    changed = rows(0, 1, 2)
    changed[1][1] = "李娜娜"
    second = imported(register(changed))
    with pytest.raises(ValidationError):
        services.undo_import(batch=first)
    services.undo_import(batch=second)
    services.undo_import(batch=ImportBatch.objects.get(pk=first.pk))
    assert Person.objects.count() == 0


def test_undo_is_refused_once_a_created_household_has_a_life_event(street):
    batch = imported(register(rows(0, 1, 2)))
    services.record_life_event(
        household=Household.objects.get(),
        kind=LifeEventKind.BIRTH,
        occurred_on=datetime.date(2026, 11, 1),
    )
    with pytest.raises(ValidationError):
        services.undo_import(batch=batch)
    assert Person.objects.count() == 3


def test_history_rows_written_in_bulk_carry_the_persons_tags(street):
    imported(register(rows(0, 1, 2)))
    elder = Tag.objects.get(name="独居老人")
    services.update_person(person=Person.objects.get(name="张伟"), tags=[elder])
    changed = rows(0, 1, 2)
    changed[0][8] = "13800000099"
    batch = imported(register(changed))
    record = Person.history.filter(name="张伟", history_change_reason=batch.history_reason).get()
    assert [t.tag for t in record.tags.all()] == [elder]
