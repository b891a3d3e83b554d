"""In Debian's Chromium: a community worker logs in, opens the tree, sees only their community."""

import os

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


def test_worker_sees_only_their_community(page, live_server, community_a, community_b):
    from grids.models import Role

    make_user("alice", community_a, Role.COMMUNITY_WORKER)
    page.goto(f"{live_server.url}/admin/login/")
    assert "登录" in page.content()
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/grids/node/")
    rows = page.locator("#result_list tbody tr")
    text = rows.all_inner_texts()
    assert any(community_a.name in t for t in text)
    assert not any(community_b.name in t for t in text)
    assert not any(community_b.code in t for t in text)

    # drill down: the community's grids, with a path back
    page.click(f"td.field-children_link a[href$='parent__id__exact={community_a.pk}']")
    page.wait_for_selector("#drill-path")
    codes = page.locator("#result_list tbody td.field-code").all_inner_texts()
    assert codes and all(c.startswith(community_a.code) and len(c) == 15 for c in codes)
    page.screenshot(path=os.environ.get("BROWSER_SCREENSHOT", "/tmp/tree.png"), full_page=True)

    # the other community by URL is a 404
    response = page.goto(f"{live_server.url}/admin/grids/node/{community_b.pk}/change/")
    assert response is not None and response.status == 404


def test_worker_imports_a_register_in_the_admin(page, live_server, worker, community_a, tmp_path):
    from grids.models import Role
    from residents.models import Household, ImportBatch
    from tests.test_register_import import BAD, GOOD, register

    make_user("alice", community_a, Role.COMMUNITY_WORKER)
    register_file = tmp_path / "白杨街道登记表.csv"
    register_file.write_bytes(register(GOOD[:4] + BAD))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/residents/importbatch/upload/")
    page.set_input_files("#id_file", str(register_file))
    page.click("#upload-form input[type=submit]")
    # the check runs in the worker; the page shows progress, then the preview
    page.wait_for_selector("#import-errors", timeout=30_000)
    assert page.locator("#batch-status").get_attribute("data-status") == "rejected"
    errors = page.locator("#import-errors tbody tr").all_inner_texts()
    assert len(errors) == 10
    assert any("校验位" in e for e in errors)
    assert "4" in page.locator("#import-summary").inner_text()

    page.check("#skip-invalid")
    page.click("#confirm-import")
    page.wait_for_selector("#see-households", timeout=30_000)
    assert ImportBatch.objects.get().status == ImportBatch.Status.APPLIED
    page.click("#see-households")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == Household.objects.count() == 2
    assert any("和达城" in r for r in rows)

    # Names and ID numbers are read whole: the person list never breaks them.
    page.goto(f"{live_server.url}/admin/residents/person/")
    page.set_viewport_size({"width": 1024, "height": 768})
    names = page.locator("#result_list tbody th a")
    assert names.count() == 4
    for name in names.all():
        assert name.evaluate("link => link.getClientRects().length") == 1
