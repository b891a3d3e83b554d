"""In Debian's Chromium, the pages issue 9 added: alice imports an owners' roll (upload,
preview of the rows as read, confirm) and opens a flat with its owners and an owner's
masked page; bob accepts a transfer request from the inbox his start page links."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user
from tests.support import chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context(locale="zh-CN").new_page()


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#start-links")


def test_alice_imports_an_owners_roll_and_opens_a_flat(
    page, live_server, worker, community_a, roster, tmp_path
):
    from grids.models import AccessLog, Role
    from residents.models import Flat, ImportBatch, Owner
    from tests.test_owner_import import GOOD, OUTSIDER, roll

    make_user("alice", community_a, Role.COMMUNITY_WORKER)
    roll_file = tmp_path / "和达城业主名册.csv"
    roll_file.write_bytes(roll(*GOOD))
    log_in(page, live_server, "alice")

    page.goto(f"{live_server.url}/admin/residents/importbatch/upload/")
    assert page.locator("#owners-template-xlsx").is_visible()
    page.select_option("#id_kind", "owners")
    page.set_input_files("#id_file", str(roll_file))
    page.click("#upload-form input[type=submit]")
    page.wait_for_selector("#preview-rows", timeout=30_000)
    read_as = page.locator("#preview-rows tbody tr").all_inner_texts()
    assert len(read_as) == len(GOOD)
    assert "张伟（自然人），共有人 李娜，89.50 m²，已交付" in read_as[0]
    assert "和达置业有限公司（单位），120.00 m²，未出售" in read_as[3]
    assert OUTSIDER not in page.content()
    page.click("#confirm-import")
    page.wait_for_selector("#see-owners", timeout=30_000)
    assert (
        ImportBatch.objects.get(kind=ImportBatch.Kind.OWNERS).status == ImportBatch.Status.APPLIED
    )

    flat = Flat.objects.get(stairwell__compound="和达城", room="101")
    page.goto(f"{live_server.url}/admin/residents/flat/{flat.pk}/change/")
    owners = page.locator("#flat-owners .owner-name").all_inner_texts()
    assert sorted(owners) == ["张伟", "李娜"]

    # An owner who lives elsewhere, on alice's roll through his two flats: she may see
    # personal data, so the certificate is hers to correct, and her seeing it is logged.
    qian = Owner.objects.get(certificate=OUTSIDER)
    page.goto(f"{live_server.url}/admin/residents/owner/{qian.pk}/change/")
    assert (page.input_value("#id_name"), page.input_value("#id_certificate")) == ("钱多", OUTSIDER)
    assert "和达城1幢2单元201、和达城1幢2单元202" in page.locator("#content-main").inner_text()
    assert AccessLog.objects.filter(user__username="alice", object_ids=str(qian.pk)).exists()


def test_bob_accepts_a_transfer_from_the_inbox_his_start_page_links(
    page, live_server, community_a, community_b
):
    from grids.models import Role
    from residents.models import Person, TransferRequest
    from residents.transfers import request_transfer
    from tests.transfer_data import ZHAO_ID, make_homes

    alice = make_user("alice", community_a, Role.COMMUNITY_WORKER)
    make_user("bob", community_b, Role.COMMUNITY_WORKER)
    homes = make_homes(community_a, community_b)
    transfer = request_transfer(
        user=alice, id_number=ZHAO_ID, name="赵强", household=homes.empty_home
    )
    log_in(page, live_server, "bob")
    inbox = page.locator('#start-links a[data-link="transfers"]')
    assert inbox.inner_text() == "迁入申请（1 件待您处理）"
    inbox.click()
    page.wait_for_selector("#result_list")
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_selector("#accept-form")
    page.click("#accept-form input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "赵强" in page.locator(".messagelist").inner_text()
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.ACCEPTED
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home
    # Nothing waits any more.
    page.goto(f"{live_server.url}/admin/")
    assert page.locator('#start-links a[data-link="transfers"]').inner_text() == "迁入申请"
