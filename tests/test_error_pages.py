"""Error pages: Chinese, in the admin's layout, JSON under /api/, and renderable with nothing.

pytest-django runs with DEBUG off, as production does: these are the pages a
user meets there. The 500 test serves config.urls with two failing views added
(this module is the URLconf), so the handlers tested are the configured ones.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.test import Client
from django.urls import path

from config import urls as site_urls


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("boom/", boom),
    path("api/boom/", boom),
    *site_urls.urlpatterns,
]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

INLINE = re.compile(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:", re.I)


@pytest.fixture
def client_of(street):
    def login(user=None) -> Client:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    return login


def test_a_missing_admin_page_is_a_chinese_404_in_the_layout(client_of, alice):
    response = client_of(alice).get("/admin/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "不在您的管辖范围内" in page
    assert "微网格治理平台" in page and 'id="user-tools"' in page  # the admin's header
    assert "返回工作台" in page


def test_a_missing_page_outside_the_admin_is_a_chinese_404(client_of):
    response = client_of().get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_missing_api_address_is_json(client_of, alice):
    response = client_of(alice).get("/api/v1/no-such-list/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_a_missing_api_object_is_chinese_json_naming_no_model(client_of, alice):
    for url in ["/api/v1/imports/999999/", "/api/v1/households/999999/", "/api/v1/nodes/abc/"]:
        response = client_of(alice).get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到。"}, url


def test_permission_denied_in_the_admin_is_a_chinese_403_page(client_of, dave):
    """dave has a login and no role: the roster's lists raise PermissionDenied."""
    response = client_of(dave).get("/admin/residents/household/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限" in page and "管理员" in page and "微网格治理平台" in page


def test_permission_denied_on_the_api_is_chinese_json(client_of, dave):
    response = client_of(dave).get("/api/v1/households/")
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行该操作的权限。"}


def test_a_form_without_its_csrf_token_is_a_chinese_403(street):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "安全令牌" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_server_error_is_a_chinese_500_page(client_of, alice):
    response = client_of(alice).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page and "已记录" in page and "微网格治理平台" in page


@pytest.mark.urls(__name__)
def test_a_server_error_on_the_api_is_chinese_json(client_of, alice):
    response = client_of(alice).get("/api/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器出现了错误。"}


@pytest.mark.parametrize("name", ["400.html", "403.html", "404.html", "413.html", "500.html"])
def test_each_page_renders_from_an_empty_context(name):
    """As Django renders 500.html: no request, no user, no database."""
    page = loader.get_template(name).render()
    assert "微网格治理平台" in page and 'id="error-heading"' in page
    assert not INLINE.search(page)


def test_the_pages_carry_no_inline_script_or_style(client_of):
    """The Content-Security-Policy allows neither; checked on what an anonymous user gets."""
    for url in ["/no-such-page/", "/admin/V%00/"]:
        page = client_of().get(url).content.decode()
        assert 'id="error-heading"' in page
        assert not INLINE.search(page), INLINE.search(page)
