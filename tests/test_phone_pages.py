"""The phone pages (/m/): stella finds the task dispatched to her stairwell, acknowledges,
arrives and handles it by its big buttons (with a photo); what is not hers is not there (404); the
inbox counts what is unread; pages take a fixed number of queries; and in a phone-sized
Chromium the whole round, with the dispatcher verifying in the admin."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tasks import services
from tasks.models import Task
from tests.conftest import PASSWORD
from tests.support import chromium
from tests.task_data import png, report, team


def dispatched(alice, places, **fields) -> Task:
    task = services.act(user=alice, task=report(alice, places.stairwell, **fields), action="accept")
    return services.act(user=alice, task=task, action="dispatch", node=places.stairwell)


def phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_stella_works_her_task_from_the_phone(alice, people, places):
    task = dispatched(alice, places)
    client = phone(people["stella"])
    home = client.get("/m/").content.decode()
    assert task.title in home and 'id="unread-count" class="badge">1<' in home
    page = client.get(f"/m/tasks/{task.pk}/").content.decode()
    assert 'id="phone-acknowledge"' in page and 'id="phone-arrive"' not in page
    for action, data in [("acknowledge", {}), ("arrive", {}), ("handle", {"note": "已清运"})]:
        response = client.post(f"/m/tasks/{task.pk}/{action}/", data, follow=True)
        assert response.status_code == 200 and "已" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == "handled"
    # Handled, it is the dispatcher's to verify: nothing more for her to press.
    assert 'class="action"' not in client.get(f"/m/tasks/{task.pk}/").content.decode()


@pytest.mark.django_db
def test_a_refusal_is_a_message_and_what_is_not_hers_is_404(alice, bob, people, places):
    task = dispatched(alice, places)
    client = phone(people["stella"])
    response = client.post(f"/m/tasks/{task.pk}/handle/", {"note": "x"}, follow=True)
    assert "现在不能处置完成" in response.content.decode()
    assert client.post(f"/m/tasks/{task.pk}/accept/").status_code == 404  # not a phone action
    assert client.get(f"/m/tasks/{task.pk}/acknowledge/").status_code == 405
    other = phone(bob)
    assert other.get(f"/m/tasks/{task.pk}/").status_code == 404
    assert other.post(f"/m/tasks/{task.pk}/acknowledge/").status_code == 404
    assert task.title not in other.get("/m/").content.decode()
    assert Task.objects.get(pk=task.pk).status == "dispatched"


@pytest.mark.django_db
def test_the_inbox_marks_read_and_is_the_users_own(alice, bob, people, places):
    dispatched(alice, places)
    client = phone(people["stella"])
    [note] = people["stella"].task_notifications.all()
    assert phone(bob).post(f"/m/inbox/{note.pk}/read/").status_code == 404
    assert client.post(f"/m/inbox/{note.pk}/read/").status_code == 302
    assert 'id="unread-count"' not in client.get("/m/").content.decode()


@pytest.mark.django_db
def test_a_logged_out_visit_goes_to_the_login(client):
    response = client.get("/m/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_my_tasks_take_the_same_queries_for_one_task_and_twenty(alice, people, places):
    dispatched(alice, places)
    client = phone(people["stella"])
    client.get("/m/")
    with CaptureQueriesContext(connection) as one:
        client.get("/m/")
    for _ in range(19):
        dispatched(alice, places)
    with CaptureQueriesContext(connection) as twenty:
        assert client.get("/m/").content.decode().count('class="task') == 20
    assert len(twenty) == len(one)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_phone_sized_chromium_stella_handles_and_alice_verifies(live_server, alice, places):
    team(places)  # stella among them
    task = dispatched(alice, places, title="3单元楼道堆放杂物")
    with chromium() as browser:
        context = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/m/")
        page.fill("#id_username", "stella")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#my-tasks")
        # phone.js is deferred: the server's static "12-04 09:30" stands until it runs.
        page.wait_for_function(
            "() => /^(剩余|已超时)/.test(document.querySelector('.countdown').textContent)",
            timeout=5000,
        )
        page.click(f"#my-tasks a[href='/m/tasks/{task.pk}/']")
        button = page.locator("#phone-acknowledge button")
        box = button.bounding_box()
        assert box is not None and box["width"] >= 300 and box["height"] >= 48  # one thumb
        button.click()
        page.click("#phone-arrive button")
        page.fill("#phone-handle textarea", "已清理完毕")
        page.set_input_files(
            "#phone-handle input[type=file]",
            files=[{"name": "IMG_2041.png", "mimeType": "image/png", "buffer": png(40, 30)}],
        )
        page.click("#phone-handle button")
        page.wait_for_selector("#task-status[data-status='handled']")
        # Lazy, as in the timeline below: it loads once scrolled to, then has its width.
        page.locator("#task-files img").scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('#task-files img').complete")
        assert page.eval_on_selector("#task-files img", "img => img.naturalWidth") == 40
        # The dispatcher verifies in the admin.
        admin = browser.new_context(locale="zh-CN").new_page()
        admin.goto(f"{live_server.url}/admin/login/")
        admin.fill("#id_username", "alice")
        admin.fill("#id_password", PASSWORD)
        admin.click("input[type=submit]")
        admin.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")
        # The handling's photo, in its row of the timeline, shown to the dispatcher: lazy,
        # it loads once scrolled to, as the dispatcher would.
        admin.locator("#task-timeline img").scroll_into_view_if_needed()
        admin.wait_for_function("() => document.querySelector('#task-timeline img').complete")
        assert admin.eval_on_selector("#task-timeline img", "img => img.naturalWidth") == 40
        admin.select_option("#act-verify select[name=passed]", "true")
        admin.click("#act-verify input[type=submit]")
        admin.wait_for_selector("#task-status[data-status='closed']")
    assert Task.objects.get(pk=task.pk).feedback == "已清理完毕"
