"""Two imports of the same households at once: the later one writes nothing and says why."""

import datetime
import io
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from residents import services
from residents.import_engine import ImportRejected
from residents.models import Household, ImportBatch, Person
from residents.services import import_now
from tests.support import a_rival_transaction, idn, wait_until
from tests.test_register_import import EVERYTHING, GOOD, register

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: a second import waits for the first to finish")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == "Lock"


def zhao_qiang_held_by_a_rival(*, until: Callable[[], bool], commit: bool) -> Any:
    """Another import writes 赵强's household (as ours will)."""
    return a_rival_transaction(
        lambda: import_now(data=register(GOOD[4:5]), filename="rival.csv", scope=EVERYTHING),
        until=until,
        commit=commit,
    )


def test_an_import_that_meets_a_concurrent_one_writes_nothing_and_says_why(street):
    ours = backend_pid()
    with (
        zhao_qiang_held_by_a_rival(until=lambda: waits_for_a_lock(ours), commit=True),
        pytest.raises(ImportRejected) as rejected,
    ):
        import_now(data=register(GOOD), filename="ours.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert problem.code == "conflict" and "flat_one_per_room" in problem.message
    assert list(Person.objects.values_list("name", flat=True)) == ["赵强"]
    batch = ImportBatch.objects.get(pk=rejected.value.result.batch_id)
    assert batch.status == ImportBatch.Status.REJECTED and batch.errors[0]["code"] == "conflict"


def swept_while_it_waits(write: Callable[[], object], refusal: type[Exception]) -> Any:
    """Run `write` in a thread; once it waits for 赵强's row, held by a rival,
    fail the stalled batches, then let it go on. Returns the `refusal` it raised."""
    state: dict[str, Any] = {}
    swept = threading.Event()

    def run() -> None:
        state["pid"] = backend_pid()
        try:
            write()
        except refusal as error:
            state["refused"] = error
        finally:
            connection.close()

    with zhao_qiang_held_by_a_rival(until=swept.is_set, commit=False):
        thread = threading.Thread(target=run)
        thread.start()
        wait_until(
            lambda: "pid" in state and waits_for_a_lock(state["pid"]),
            "the write to wait",
            seconds=30,
        )
        later = timezone.now() + datetime.timedelta(minutes=31)
        assert services.fail_stalled_imports(now=later) == 1
        swept.set()
        thread.join()
    return state.get("refused")


def test_a_batch_failed_as_stalled_while_it_writes_is_not_written(street, alice):
    """The worker was only slow: its write is rolled back, the batch stays failed."""
    batch = services.start_import(user=alice, data=register(GOOD), filename="登记表.csv")
    services.check_import(batch=ImportBatch.objects.get(pk=batch.pk))
    services.confirm_import(batch=ImportBatch.objects.get(pk=batch.pk), user=alice)

    refused = swept_while_it_waits(
        lambda: services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk)),
        ValidationError,
    )
    assert refused is not None
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.FAILED
    assert not Person.objects.exists()


def test_the_command_says_why_when_its_import_was_failed_as_stalled(street, tmp_path):
    path = tmp_path / "登记表.csv"
    path.write_bytes(register(GOOD))
    out = io.StringIO()

    refused = swept_while_it_waits(
        lambda: call_command("import_register", str(path), "--json", stdout=out), CommandError
    )
    assert refused.returncode == 1
    [problem] = json.loads(out.getvalue())["errors"]
    assert problem["code"] == "stalled" and "未写入任何数据" in problem["message"]
    assert not Person.objects.exists()


def test_a_household_deleted_while_a_member_is_added_fails_the_write_cleanly(street, alice):
    """The deferred foreign key fails before the batch is marked applied."""
    import_now(data=register(GOOD[:3]), filename="a.csv", scope=EVERYTHING)
    ours = backend_pid()
    newborn = [*GOOD[2][:1], "张小红", "女", "汉族", idn("330106", "20250101", 42), "", "孙女"]
    newborn += GOOD[2][7:]

    def delete_h001() -> None:
        household = Household.objects.get(number="H001")
        household.members.all().delete()
        household.delete()

    with (
        a_rival_transaction(delete_h001, until=lambda: waits_for_a_lock(ours), commit=True),
        pytest.raises(ImportRejected) as rejected,
    ):
        import_now(data=register([*GOOD[:3], newborn]), filename="b.csv", scope=EVERYTHING)
    [problem] = rejected.value.result.errors
    assert problem.code == "conflict"
    assert not Person.objects.exists() and not Household.objects.exists()
    batch = ImportBatch.objects.get(pk=rejected.value.result.batch_id)
    assert batch.status == ImportBatch.Status.REJECTED
