"""Owners in the admin and the API: a person's certificate and every phone masked for a user
without the permission (list, page, API, history), in full and audited for one with it; an
organisation's credit code public; owners and their flats scoped; the same queries for one
row as for thirty."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.masking import mask_id_number, mask_phone
from grids.models import AccessLog
from residents import owners
from residents.models import Owner, OwnerKind
from tests.support import credit_code, idn
from tests.test_owners import a_flat, stairwells_of

API = "/api/v1/owners/"
ZHANG = idn("330106", "19800101", 11)
ZHAO = idn("330106", "19750303", 43)
COMPANY = credit_code(1)


@pytest.fixture
def roll(community_a, community_b):
    """张伟 owns a flat in A (frank's micro-grid) and one in B; the developer a flat in A;
    赵强 a flat in B only."""
    a1 = a_flat(stairwells_of(community_a)[0], "101", area=Decimal("90.00"))
    a2 = a_flat(stairwells_of(community_a)[0], "102", area=Decimal("80.00"))
    b1 = a_flat(stairwells_of(community_b)[0], "901", area=Decimal("70.00"))
    zhang = owners.create_owner(name="张伟", certificate=ZHANG, phone="13800000001")
    company = owners.create_owner(
        name="和达置业有限公司",
        kind=OwnerKind.ORGANISATION,
        certificate=COMPANY,
        phone="057188880000",
    )
    zhao = owners.create_owner(name="赵强", certificate=ZHAO, phone="13700000004")
    owners.set_owners(
        owners_by_flat={a1.pk: [zhang.pk], a2.pk: [company.pk], b1.pk: [zhang.pk, zhao.pk]}
    )
    return {"zhang": zhang, "company": company, "zhao": zhao, "a1": a1, "b1": b1}


def page_url(owner: Owner, view: str = "change") -> str:
    return reverse(f"admin:residents_owner_{view}", args=[owner.pk])


LIST = "admin:residents_owner_changelist"


def assert_masked(text: str) -> None:
    assert ZHANG not in text and "13800000001" not in text and "057188880000" not in text
    assert mask_id_number(ZHANG) in text and "138****0001" in text
    assert COMPANY in text  # an organisation's code is public


def assert_full(text: str) -> None:
    assert ZHANG in text and "13800000001" in text and COMPANY in text


def test_the_list_is_masked_for_frank_and_full_and_audited_for_alice(admin_as, roll, frank, alice):
    masked = admin_as(frank).get(reverse(LIST))
    assert masked.status_code == 200
    assert_masked(masked.content.decode())
    assert not AccessLog.objects.exists()

    full = admin_as(alice).get(reverse(LIST)).content.decode()
    assert_full(full)
    log = AccessLog.objects.get()
    assert (log.user, log.count) == (alice, 2) and log.what == "业主列表"


def test_the_page_is_masked_for_frank_and_full_and_audited_for_alice(admin_as, roll, frank, alice):
    zhang = roll["zhang"]
    masked = admin_as(frank).get(page_url(zhang))
    assert masked.status_code == 200
    page = masked.content.decode()
    assert ZHANG not in page and "13800000001" not in page
    assert mask_id_number(ZHANG) in page and "138****0001" in page
    assert str(roll["a1"]) in page
    assert not AccessLog.objects.exists()

    page = admin_as(alice).get(page_url(zhang)).content.decode()
    assert ZHANG in page and "13800000001" in page
    assert AccessLog.objects.get().object_ids == str(zhang.pk)


def test_the_api_is_masked_for_frank_and_full_and_audited_for_alice(api_as, roll, frank, alice):
    rows = {o["name"]: o for o in api_as(frank).get(API).json()["results"]}
    assert set(rows) == {"张伟", "和达置业有限公司"}
    assert rows["张伟"]["certificate"] == mask_id_number(ZHANG)
    assert rows["张伟"]["phone"] == "138****0001"
    assert rows["和达置业有限公司"]["certificate"] == COMPANY
    assert rows["和达置业有限公司"]["phone"] == mask_phone("057188880000")
    assert rows["张伟"]["flats"] == [{"id": roll["a1"].pk, "address": str(roll["a1"])}]
    detail = api_as(frank).get(f"{API}{roll['zhang'].pk}/").json()
    assert detail["certificate"] == mask_id_number(ZHANG)
    assert not AccessLog.objects.exists()

    rows = {o["name"]: o for o in api_as(alice).get(API).json()["results"]}
    assert rows["张伟"]["certificate"] == ZHANG and rows["张伟"]["phone"] == "13800000001"
    assert AccessLog.objects.get().count == 2
    api_as(alice).get(f"{API}{roll['zhang'].pk}/")
    assert AccessLog.objects.count() == 2


def test_the_history_is_masked_for_frank_and_full_and_audited_for_alice(
    admin_as, roll, frank, alice
):
    zhang = roll["zhang"]
    owners.update_owner(owner=zhang, phone="13800000009")
    masked = admin_as(frank).get(page_url(zhang, "history"))
    assert masked.status_code == 200
    page = masked.content.decode()
    assert ZHANG not in page and mask_id_number(ZHANG) in page
    assert "138****0001 → 138****0009" in page
    assert "13800000001" not in page and "13800000009" not in page
    assert not AccessLog.objects.exists()

    page = admin_as(alice).get(page_url(zhang, "history")).content.decode()
    assert ZHANG in page and "13800000001 → 13800000009" in page
    assert AccessLog.objects.get().user == alice


def test_alice_cannot_see_bobs_owners(admin_as, api_as, roll, alice, bob):
    zhao = roll["zhao"]
    names = admin_as(alice).get(reverse(LIST)).content.decode()
    assert "赵强" not in names and "张伟" in names
    for view in ("change", "history"):
        assert admin_as(alice).get(page_url(zhao, view)).status_code == 404
    assert api_as(alice).get(f"{API}{zhao.pk}/").status_code == 404
    assert "赵强" not in {o["name"] for o in api_as(alice).get(API).json()["results"]}
    # 张伟 owns flats on both sides: each sees him with their own flat only.
    theirs = api_as(bob).get(f"{API}{roll['zhang'].pk}/").json()
    assert theirs["flats"] == [{"id": roll["b1"].pk, "address": str(roll["b1"])}]
    page = admin_as(alice).get(page_url(roll["zhang"])).content.decode()
    assert str(roll["b1"]) not in page and str(roll["a1"]) in page


def test_the_node_filter_and_searches(api_as, admin_as, roll, charlie, community_a, frank):
    def names(**query) -> set[str]:
        return {o["name"] for o in api_as(charlie).get(API, query).json()["results"]}

    assert names() == {"张伟", "和达置业有限公司", "赵强"}
    assert names(node=community_a.pk) == {"张伟", "和达置业有限公司"}
    assert names(q=ZHANG.lower()) == {"张伟"}
    assert names(q=ZHANG[:14]) == names(q=ZHANG[-6:]) == set()
    assert names(q=COMPANY) == {"和达置业有限公司"}
    assert names(q="置业") == {"和达置业有限公司"}
    assert api_as(frank).get(API, {"node": roll["b1"].community_id}).status_code == 400
    # The admin list searches the same way and answers no lookup its filters do not offer.
    client = admin_as(frank)
    found = client.get(reverse(LIST), {"q": ZHANG}).context["cl"].result_list
    assert [o.name for o in found] == ["张伟"]
    assert not client.get(reverse(LIST), {"q": ZHANG[:10]}).context["cl"].result_list
    assert client.get(reverse(LIST), {"certificate__startswith": "3301"}).status_code == 400
    listed = client.get(reverse(LIST), {"community": community_a.pk}).context["cl"].result_list
    assert {o.name for o in listed} == {"张伟", "和达置业有限公司"}


def test_alices_edit_checks_the_certificate_and_writes_nothing_when_wrong(admin_as, roll, alice):
    zhang = roll["zhang"]
    form = {"kind": OwnerKind.PERSON, "name": "张伟", "phone": "13800000001"}
    bad = admin_as(alice).post(page_url(zhang), {**form, "certificate": ZHANG[:-1] + "0"})
    assert bad.status_code == 200
    assert "身份证号" in str(bad.context["adminform"].form.errors["certificate"])
    zhang.refresh_from_db()
    assert zhang.certificate == ZHANG
    legacy = "330106750303043"  # 赵强's old 15 digits: his 18-digit number is on the roll
    taken = admin_as(alice).post(page_url(zhang), {**form, "certificate": legacy})
    assert "已存在" in str(taken.context["adminform"].form.errors["certificate"])
    done = admin_as(alice).post(page_url(zhang), {**form, "certificate": ZHANG.lower()})
    assert done.status_code == 302
    zhang.refresh_from_db()
    assert zhang.certificate == ZHANG


# The same queries for one row as for thirty.
def _more_owners(community, n: int) -> None:
    stairwell = stairwells_of(community)[0]
    for i in range(n):
        owner = owners.create_owner(
            name=f"计数业主{i}", certificate=idn("330106", "19900101", 100 + i), phone="13900000000"
        )
        flats = [a_flat(stairwell, f"5{i:02d}{k}") for k in range(2)]
        owners.set_owners(owners_by_flat={f.pk: [owner.pk] for f in flats})


@pytest.mark.parametrize("who", ["alice", "frank"])
def test_the_admin_list_and_the_api_list_count_no_queries_per_row(
    request, admin_as, api_as, roll, community_a, who
):
    user = request.getfixturevalue(who)

    def counted(get) -> tuple[int, int]:
        get()  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = get()
        assert response.status_code == 200
        return len(queries), response

    def admin_list():
        return admin_as(user).get(reverse(LIST))

    def api_list():
        return api_as(user).get(API)

    before = [counted(admin_list)[0], counted(api_list)[0]]
    _more_owners(community_a, 29)
    after_admin, listed = counted(admin_list)
    after_api, answered = counted(api_list)
    assert [after_admin, after_api] == before
    assert len(listed.context["cl"].result_list) == 31
    assert len(answered.json()["results"]) == 31


def test_the_owner_page_counts_no_queries_per_flat(admin_as, roll, alice, community_a):
    zhang = roll["zhang"]
    client = admin_as(alice)

    def counted() -> int:
        client.get(page_url(zhang))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(zhang)).status_code == 200
        return len(queries)

    before = counted()
    stairwell = stairwells_of(community_a)[1]
    more = [a_flat(stairwell, f"6{i:02d}") for i in range(29)]
    owners.set_owners(owners_by_flat={f.pk: [zhang.pk] for f in more})
    assert counted() == before
