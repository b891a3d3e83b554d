"""In Debian's Chromium: the Content-Security-Policy breaks nothing.

The admin (lists, forms, filters, the language switch), django-import-export's
export page, our own pages (coverage, 四掌握, the register upload and its
preview's progress bar), the lockout page, DRF's browsable API and Swagger UI
at /api/docs/ load and work with no violation reported, by the page's
`securitypolicyviolation` events or the console.
"""

import os

import pytest
from django.contrib.auth import get_user_model

from grids.models import Node
from tests.conftest import PASSWORD
from tests.support import chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample} @${where}`);
});
"""


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


class Visitor:
    """A page that keeps every CSP complaint, by the URL it was on."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.page = browser.new_context(locale="zh-CN").new_page()
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.violations: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def collect(self) -> None:
        self.violations += [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__csp")]

    def open(self, path: str, wait_for: str | None = None):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if wait_for:
            self.page.wait_for_selector(wait_for, timeout=30_000)
        self.page.wait_for_load_state("networkidle")
        self.collect()
        return response

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base + "/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("input[type=submit]")
        self.page.wait_for_load_state("networkidle")
        self.collect()

    def assert_clean(self) -> None:
        assert self.violations == [], "\n".join(self.violations)
        assert self.console == [], "\n".join(self.console)


def test_the_admin_and_our_pages_live_with_the_csp(browser, live_server, roster, tmp_path):
    from tests.test_register_import import GOOD, register

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    visitor = Visitor(browser, live_server.url)
    visitor.login("root")
    page = visitor.page
    node = Node.objects.filter(level=1).first()
    assert node is not None
    for path in [
        "/admin/",
        "/admin/grids/node/",
        f"/admin/grids/node/{node.pk}/change/",
        "/admin/grids/node/coverage/",
        "/admin/grids/staff/",
        "/admin/residents/household/",
        "/admin/residents/person/",
        "/admin/residents/person/add/",
        "/admin/residents/lifeevent/add/",
        "/admin/residents/importbatch/",
        "/admin/axes/accessattempt/",
        "/admin/auth/user/",
    ]:
        visitor.open(path)

    # The filter sidebar and the date widgets' scripts run.
    visitor.open("/admin/residents/visit/add/")
    assert page.locator(".datetimeshortcuts").count() > 0

    # django-import-export's export page; its "select all" toggle (a handler attribute) works.
    visitor.open("/admin/residents/household/export/")
    toggle = page.locator("input.select-toggle")
    if toggle.count():
        toggle.first.uncheck()
        visitor.collect()

    # Our own selects that submit on change: coverage's node and 四掌握's community.
    visitor.open("/admin/residents/person/four/")

    # The register upload and the preview's progress bar (static/js/import_preview.js).
    register_file = tmp_path / "登记表.csv"
    register_file.write_bytes(register(GOOD[:2]))
    visitor.open("/admin/residents/importbatch/upload/")
    page.set_input_files("#id_file", str(register_file))
    page.click("#upload-form input[type=submit]")
    page.wait_for_selector("#batch-status")
    page.wait_for_timeout(1500)  # a few polls of the progress
    visitor.collect()

    # DRF's browsable API and Swagger UI (its start-up script from our origin).
    visitor.open("/api/v1/nodes/")
    visitor.open("/api/docs/", wait_for=".swagger-ui .opblock")
    page.click(".swagger-ui .opblock-summary >> nth=0")
    page.wait_for_timeout(500)
    visitor.collect()

    # The language switch submits on change (a handler attribute), then back to Chinese.
    visitor.open("/admin/")
    with page.expect_navigation():
        page.select_option("#language-switch select", "en")
    visitor.collect()
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.select_option("#language-switch select", "zh-hans")
    visitor.collect()

    visitor.assert_clean()


def test_the_lockout_page_lives_with_the_csp(browser, live_server, alice):
    visitor = Visitor(browser, live_server.url)
    for _ in range(5):
        visitor.login("alice", "wrong-password")
    visitor.login("alice")
    assert visitor.page.locator("#locked-out").inner_text() == "账号暂时锁定"
    visitor.page.screenshot(path=os.environ.get("LOCKOUT_SCREENSHOT", "/tmp/locked-out.png"))
    visitor.assert_clean()
