"""An import reads and writes only inside its importer's jurisdiction (issue 8, item 1).

alice (community A) uploads a register naming 赵强, who lives in community B:
the row is an error, 赵强 stays as bob recorded him, and nothing in alice's
report says where he lives. The same through the command, the admin and the API.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from residents import services
from residents.import_engine import ImportRejected
from residents.models import Household, ImportBatch, Person
from tests.support import idn

HEADER = "户号,姓名,性别,公民身份号码,与户主关系,现居住地址,联系电话\n"


def register(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows)).encode("utf-8")


@pytest.fixture
def zhao(roster) -> Person:
    return Person.objects.get(name="赵强")  # community B, household B1


def naming_zhao(zhao: Person) -> bytes:
    """alice's file: a new household in community A whose head has 赵强's ID number."""
    return register(
        f"A9,{zhao.name},男,{zhao.id_number},户主,和达城2幢1单元302室,13999999999",
        f"A9,孙梅,女,{idn('330106', '19760505', 66)},配偶,和达城2幢1单元302室,",
    )


def assert_zhao_untouched(zhao: Person) -> None:
    again = Person.objects.get(pk=zhao.pk)
    assert (again.name, again.household_id, again.phone) == (
        zhao.name,
        zhao.household_id,
        zhao.phone,
    )
    assert not Household.objects.filter(number="A9").exists()


def assert_reported_without_saying_where(problems: list[dict], zhao: Person) -> None:
    codes = {p["code"] for p in problems}
    assert "registered_elsewhere" in codes
    text = json.dumps(problems, ensure_ascii=False)
    for secret in ("云帆城", "B1", zhao.household.community.name, zhao.phone, zhao.name):
        assert secret not in text


def test_the_engine_refuses_a_person_of_another_community(alice, zhao):
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=naming_zhao(zhao), filename="a.csv", user=alice)
    result = rejected.value.result
    assert result.persons_updated == 0 and result.persons_created == 0
    assert_reported_without_saying_where([p.as_dict() for p in result.errors], zhao)
    assert_zhao_untouched(zhao)


def test_skipping_bad_rows_leaves_the_whole_household_out(alice, zhao):
    data = (
        naming_zhao(zhao)
        + f"\nA8,周杰,男,{idn('330106', '19900101', 77)},户主,和达城2幢1单元303室,".encode()
    )
    result = services.import_now(data=data, filename="a.csv", user=alice, skip_invalid=True)
    assert result.written and result.households_created == 1 and result.persons_created == 1
    assert_zhao_untouched(zhao)
    assert not Person.objects.filter(name="孙梅").exists()


def test_someone_over_both_communities_may_move_him(zhao):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x" * 20)
    result = services.import_now(data=naming_zhao(zhao), filename="a.csv", user=root)
    assert result.written and result.persons_updated == 1
    assert Person.objects.get(pk=zhao.pk).household.number == "A9"


def test_a_household_number_of_another_community_is_not_located(alice, zhao):
    data = register(f"B1,周杰,男,{idn('330106', '19900101', 77)},户主,和达城2幢1单元303室,")
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=data, filename="a.csv", user=alice)
    (problem,) = [p.as_dict() for p in rejected.value.result.errors]
    assert problem["code"] == "number_taken"
    stairwell = zhao.household.stairwell
    assert stairwell.code not in problem["message"] and "101" not in problem["message"]


def test_through_the_command(alice, zhao, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes(naming_zhao(zhao))
    with pytest.raises(CommandError):
        call_command("import_register", str(path), "--json", "--user", "alice")
    out = json.loads(capsys.readouterr().out)
    assert out["persons_updated"] == 0
    assert_reported_without_saying_where(out["errors"], zhao)
    assert_zhao_untouched(zhao)


def test_through_the_api_and_the_admin(api_as, admin_as, alice, zhao):
    response = api_as(alice).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("a.csv", naming_zhao(zhao))},
        format="multipart",
    )
    assert response.status_code == 202
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    services.check_import(batch=batch)  # what the worker does
    errors = api_as(alice).get(f"/api/v1/imports/{batch.pk}/errors/").json()["results"]
    assert_reported_without_saying_where(errors, zhao)
    page = admin_as(alice).get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
    assert "辖区以外" in page.content.decode() and "云帆城" not in page.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    with pytest.raises(ValidationError):
        services.confirm_import(batch=batch, user=alice)
    services.confirm_import(batch=batch, user=alice, skip_invalid=True)
    services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert_zhao_untouched(zhao)


def test_a_member_registered_elsewhere_becomes_a_transfer_request(alice, bob, zhao):
    """issue 9: the household is written without him, and his community is asked."""
    from residents import transfers
    from residents.models import TransferRequest

    history = zhao.history.count()
    data = register(
        f"A9,孙梅,女,{idn('330106', '19760505', 66)},户主,和达城2幢1单元302室,",
        f"A9,{zhao.name},男,{zhao.id_number},配偶,和达城2幢1单元302室,",
    )
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=data, filename="a.csv", user=alice)
    (problem,) = rejected.value.result.errors
    assert problem.code == "registered_elsewhere" and "迁入申请" in problem.message
    assert_reported_without_saying_where([problem.as_dict()], zhao)
    assert not TransferRequest.objects.exists()

    result = services.import_now(data=data, filename="a.csv", user=alice, skip_invalid=True)
    assert result.written and result.transfers_requested == 1 and result.persons_created == 1
    request = TransferRequest.objects.get()
    assert request.status == "pending" and request.target.number == "A9"
    assert Person.objects.get(pk=zhao.pk).household_id == zhao.household_id  # not moved yet
    transfers.accept_transfer(user=bob, transfer=request)
    moved = Person.objects.get(pk=zhao.pk)
    assert moved.household.number == "A9" and moved.history.count() > history


def test_a_member_with_another_name_is_refused_and_no_request_made(alice, zhao):
    from residents.models import TransferRequest

    data = register(
        f"A9,孙梅,女,{idn('330106', '19760505', 66)},户主,和达城2幢1单元302室,",
        f"A9,赵二强,男,{zhao.id_number},配偶,和达城2幢1单元302室,",
    )
    result = services.import_now(data=data, filename="a.csv", user=alice, skip_invalid=True)
    assert [p.code for p in result.errors] == ["name_mismatch"]
    assert zhao.name not in result.errors[0].message
    assert not TransferRequest.objects.exists() and result.transfers_requested == 0


def test_a_dormitory_of_people_all_registered_elsewhere_is_left_out_whole(alice, zhao):
    """A 集体户 has no head to leave out with: without anyone of its own it is not written,
    and no transfer is asked into a household that is not there."""
    data = (
        "户号,户别,姓名,性别,公民身份号码,与户主关系,现居住地址\n"
        f"S1,集体户,{zhao.name},男,{zhao.id_number},其他,和达城2幢1单元302室\n"
    ).encode()
    result = services.import_now(data=data, filename="r.csv", user=alice, skip_invalid=True)
    assert [p.code for p in result.errors] == ["registered_elsewhere"]
    assert result.errors[0].message.startswith("此户所有人员都登记在您辖区以外的住户中")
    assert (result.households_created, result.transfers_requested) == (0, 0)
    assert_zhao_untouched(zhao)
    assert not Household.objects.filter(number="S1").exists()
