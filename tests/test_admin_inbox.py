"""The admin's inbox: the unread count in every admin page's header (one query), the
user's own notifications only (bob's are 404 to alice), opening one marks it read and
shows its task; the page's queries do not grow with the notifications."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tasks import services
from tests.task_data import report


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def returned(alice, people, places, n: int = 1) -> list:
    """n tasks stella returns: each tells alice, who dispatched it."""
    tasks = []
    for _ in range(n):
        task = services.act(user=alice, task=report(alice, places.stairwell), action="accept")
        task = services.act(user=alice, task=task, action="dispatch", node=places.stairwell)
        tasks.append(
            services.act(user=people["stella"], task=task, action="return", note="不属本楼道")
        )
    return tasks


@pytest.mark.django_db
def test_the_header_counts_unread_and_opening_one_reads_it(alice, bob, people, places):
    [task] = returned(alice, people, places)
    client = as_user(alice)
    index = client.get("/admin/").content.decode()
    assert 'id="admin-unread-count" class="badge">1<' in index
    inbox = client.get("/admin/tasks/task/inbox/").content.decode()
    assert "已退回" in inbox and task.title in inbox
    [note] = alice.task_notifications.all()
    assert as_user(bob).post(f"/admin/tasks/task/inbox/{note.pk}/read/").status_code == 404
    response = client.post(f"/admin/tasks/task/inbox/{note.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/tasks/task/{task.pk}/change/"
    assert 'id="admin-unread-count"' not in client.get("/admin/").content.decode()
    assert task.title not in as_user(bob).get("/admin/tasks/task/inbox/").content.decode()


@pytest.mark.django_db
def test_the_inbox_takes_the_same_queries_for_one_and_twenty(alice, people, places):
    returned(alice, people, places)
    client = as_user(alice)
    client.get("/admin/tasks/task/inbox/")
    with CaptureQueriesContext(connection) as one:
        client.get("/admin/tasks/task/inbox/")
    returned(alice, people, places, 19)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get("/admin/tasks/task/inbox/").content.decode()
    assert page.count('class="unread"') == 20
    assert len(twenty) == len(one)
