"""Five wrong passwords lock a user name from one address (django-axes), in the admin's
login and the API's; the page says so in Chinese and whom to ask; an administrator lifts it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings

from tests.conftest import PASSWORD

LOGINS = ["/admin/login/", "/api/auth/login/"]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Dozens of logins here; the default hasher takes a good part of a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def attempt(client: Client, url: str, username: str, password: str, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client: Client, url: str, username: str = "alice") -> None:
    for _ in range(5):
        attempt(client, url, username, "wrong-password")


@pytest.mark.parametrize("url", LOGINS)
def test_five_wrong_passwords_lock_the_right_one_out(url, alice):
    client = Client()
    for _ in range(4):
        response = attempt(client, url, "alice", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    lock_out(client, url)
    response = attempt(client, url, "alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "账号暂时锁定" in page
    assert "30 分钟" in page
    assert "管理员" in page  # whom to ask
    assert 'id="site-name"' in page  # the admin's layout
    assert response["Retry-After"] == "1800"


def test_the_two_logins_count_together(alice):
    client = Client()
    for _ in range(3):
        attempt(client, "/admin/login/", "alice", "wrong-password")
    for _ in range(2):
        attempt(client, "/api/auth/login/", "alice", "wrong-password")
    assert attempt(client, "/admin/login/", "alice", PASSWORD).status_code == 429


def test_the_lock_holds_a_user_name_from_one_address_only(alice, bob):
    client = Client()
    lock_out(client, "/admin/login/")
    # bob from the same address, and alice from another, still log in
    assert attempt(Client(), "/admin/login/", "bob", PASSWORD).status_code == 302
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert attempt(other, "/admin/login/", "alice", PASSWORD).status_code == 302
    assert logged_in(other)


def test_a_right_password_before_the_limit_starts_the_count_again(alice):
    client = Client()
    for _ in range(4):
        attempt(client, "/admin/login/", "alice", "wrong-password")
    assert attempt(client, "/admin/login/", "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "/admin/login/", "alice", "wrong-password")
    assert attempt(client, "/admin/login/", "alice", PASSWORD).status_code == 302


@override_settings(LOGIN_LOCKOUT_CONTACT="街道网格办 王工 0571-8888 0000", AXES_FAILURE_LIMIT=3)
def test_the_page_names_the_contact_and_the_limit_is_configurable(alice):
    client = Client()
    for _ in range(3):
        attempt(client, "/admin/login/", "alice", "wrong-password")
    page = attempt(client, "/admin/login/", "alice", PASSWORD).content.decode()
    assert "街道网格办 王工 0571-8888 0000" in page
    assert "3 次" in page


def test_a_superuser_lifts_the_lock_in_the_admin(alice):
    lock_out(Client(), "/admin/login/")
    admin_user = get_user_model().objects.create_superuser("root", password=PASSWORD)
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    from axes.models import AccessAttempt

    ids = [
        str(pk)
        for pk in AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True)
    ]
    confirm = {"action": "delete_selected", "_selected_action": ids}
    admin.post("/admin/axes/accessattempt/", confirm)
    admin.post("/admin/axes/accessattempt/", {**confirm, "post": "yes"})
    assert not AccessAttempt.objects.filter(username="alice").exists()

    client = Client()
    assert attempt(client, "/admin/login/", "alice", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_community_worker_cannot_see_or_lift_locks(alice, bob):
    lock_out(Client(), "/admin/login/")
    client = Client()
    client.force_login(bob)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_the_command_lifts_the_lock(alice):
    client = Client()
    lock_out(client, "/api/auth/login/")
    assert attempt(client, "/api/auth/login/", "alice", PASSWORD).status_code == 429
    call_command("axes_reset_username", "alice")
    assert attempt(client, "/api/auth/login/", "alice", PASSWORD).status_code == 302
    assert logged_in(client)
