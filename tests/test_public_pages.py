"""/public/: without a login, the matters whose resolution is published — and only those —
with their deliberations, tally totals, implementation and a printable notice with a QR
code; nothing personal on any page (a scan for every name, certificate and note the
matters were made with); fixed query counts; and a phone-sized Chromium reading one."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliberation import implementation, services, voting
from deliberation.models import Matter
from residents.models import Owner
from tests.matter_data import at_assembly, build_roll, compound_grid
from tests.support import chromium

SECRET_NOTES = ["业委会5人", "纪要：张伟发言"]


@pytest.fixture
def grid(community_a):
    grid = compound_grid(community_a)
    build_roll(grid)
    return grid


def published(user, grid, title="选聘物业服务企业", progress=60) -> Matter:
    """A matter voted through (everyone for), resolved, its resolution published, and a
    milestone at `progress`."""
    matter = services.create_matter(user=user, title=title, node=grid, item=4)
    for _ in range(4):
        matter = services.advance(
            user=user,
            matter=matter,
            outcome="passed",
            held_on=datetime.date(2026, 11, 2),
            participants=SECRET_NOTES[0],
            minutes=SECRET_NOTES[1],
        )
    vote = voting.open_vote(user=user, matter=matter)
    heads = vote.voters.values_list("pk", flat=True)
    voting.cast_ballots(user=user, matter=matter, ballots=[(pk, "yes") for pk in heads])
    voting.close_vote(user=user, matter=matter)
    services.advance(
        user=user, matter=matter, outcome="passed", held_on=timezone.localdate(), minutes="x"
    )
    services.publish(user=user, matter=matter, what="resolution", text="决议：选聘某物业公司")
    milestone = implementation.add_milestone(
        user=user, matter=matter, title="签订合同", planned_on=timezone.localdate()
    )
    implementation.update_milestone(user=user, milestone=milestone, progress=progress)
    return matter


def test_only_published_matters_are_shown_without_a_login(alice, grid, community_a):
    shown = published(alice, grid)
    hidden = at_assembly(alice, grid)
    anonymous = Client()
    index = anonymous.get("/public/").content.decode()
    assert community_a.name in index and "1 项" in index
    listing = anonymous.get(f"/public/c/{community_a.code}/").content.decode()
    assert shown.title in listing and f"/public/matters/{hidden.pk}/" not in listing
    assert "进度 60%" in listing
    assert anonymous.get(f"/public/matters/{hidden.pk}/").status_code == 404
    assert anonymous.get(f"/public/matters/{hidden.pk}/notice/").status_code == 404
    assert anonymous.get("/public/c/000000000000/").status_code == 404
    page = anonymous.get(f"/public/matters/{shown.pk}/").content.decode()
    for text in ["业主建议", "业主大会决议", "决议：选聘某物业公司", "签订合同", "进度 60%"]:
        assert text in page, text
    assert "1/1" in page and "议题通过。" in page


def test_no_page_shows_anything_personal(alice, grid, community_a):
    matter = published(alice, grid)
    pages = [
        "/public/",
        f"/public/c/{community_a.code}/",
        f"/public/matters/{matter.pk}/",
        f"/public/matters/{matter.pk}/notice/",
    ]
    text = "".join(Client().get(p).content.decode() for p in pages)
    owners = list(Owner.objects.values_list("name", "certificate"))
    assert len(owners) >= 8
    for name, certificate in owners:
        assert name not in text, name
        assert not certificate or certificate not in text
        assert not certificate or certificate[:6] + "*" not in text  # nor a masked form
    for secret in [*SECRET_NOTES, "alice", "张*", "同意的业主"]:
        assert secret not in text, secret


def test_the_notice_is_printable_with_a_qr_code_to_the_page(alice, grid):
    matter = published(alice, grid)
    notice = Client().get(f"/public/matters/{matter.pk}/notice/")
    html = notice.content.decode()
    assert notice.status_code == 200
    assert "<svg" in html and f"http://testserver/public/matters/{matter.pk}/" in html
    assert "公示" in html or "异议" in html
    assert "css/public.css" in html
    stylesheet = Path(finders.find("css/public.css")).read_text(encoding="utf-8")
    assert "size: A4" in stylesheet


def test_the_pages_take_a_fixed_number_of_queries(alice, grid, community_a):
    first = published(alice, grid)
    anonymous = Client()

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert anonymous.get(path).status_code == 200
        return len(captured)

    paths = ["/public/", f"/public/c/{community_a.code}/", f"/public/matters/{first.pk}/"]
    before = [queries(p) for p in paths]
    for n in range(3):
        later = published(alice, grid, title=f"议题{n}")
        implementation.add_milestone(
            user=alice, matter=later, title="验收", planned_on=timezone.localdate()
        )
    implementation.add_milestone(
        user=alice, matter=first, title="验收", planned_on=timezone.localdate()
    )
    assert [queries(p) for p in paths] == before
    assert max(before) <= 6, before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_phone_reads_a_published_matter_and_its_progress(live_server, alice, grid, community_a):
    matter = published(alice, grid, progress=40)
    with chromium() as browser:
        page = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        ).new_page()
        page.goto(f"{live_server.url}/public/")
        page.click(f"#communities a[href='/public/c/{community_a.code}/']")
        page.click(f"#in-progress a[href='/public/matters/{matter.pk}/']")
        page.wait_for_selector("#matter-title")
        assert page.inner_text("#matter-title") == matter.title
        assert "40%" in page.inner_text("#progress")
        bar = page.eval_on_selector("#progress .bar", "bar => bar.getBoundingClientRect().width")
        track = page.eval_on_selector("#progress", "p => p.getBoundingClientRect().width")
        assert abs(bar / track - 0.4) < 0.02
        # Readable on the phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#timeline li").count() == 5
