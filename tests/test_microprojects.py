"""举手制 micro-projects: residents send ideas and raise hands on the public page (one per
phone, throttled per address, nothing personal shown), staff adopt an idea with a budget
(admin and API, in their jurisdiction only), residents sign up, progress is posted, the
finished project is published and rated once per phone; phones masked unless the user
may see them; fixed query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grids.models import AccessLog
from microprojects import services
from microprojects.models import Hand, Idea, Participant, Project, Rating

PHONE = "13912345678"


def public(community):
    return f"/public/c/{community.code}/projects/"


def send(client, community, **extra):
    data = {"title": "楼道装晾衣架", "text": "1幢楼道缺少晾晒处", "name": "陈阿姨", "phone": PHONE}
    return client.post(f"/public/c/{community.code}/ideas/", {**data, **extra}, follow=True)


def said(response):
    """The messages the page shows, the last one the newest."""
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def idea(community_a):
    return services.submit_idea(
        community=community_a, title="小区充电桩", text="电动车充电难", name="李先生", phone=PHONE
    )


def test_a_resident_sends_an_idea_without_a_login(community_a):
    client = Client()
    response = send(client, community_a)
    assert said(response) == ["感谢您的建议，已公布供居民举手。"]
    idea = Idea.objects.get()
    assert (idea.source, idea.phone, idea.entered_by) == ("public", PHONE, None)
    page = client.get(public(community_a)).content.decode()
    assert "楼道装晾衣架" in page and "陈阿姨" not in page and PHONE not in page
    wrong = send(client, community_a, phone="12345")
    assert "11 位手机号码" in said(wrong)[0]
    assert "标题" in said(send(client, community_a, title=""))[0]
    assert Idea.objects.count() == 1


def test_one_hand_per_phone_and_party_branches_counted_apart(idea, community_a):
    client = Client()
    url = f"/public/ideas/{idea.pk}/hand/"
    assert said(client.post(url, {"phone": "139 1111 2222"}, follow=True)) == ["您的举手已计入。"]
    again = client.post(url, {"phone": "+86 13911112222"}, follow=True)
    assert said(again) == ["这个手机号已为该意见举过手。"]
    client.post(url, {"phone": "13933334444", "branch": "和达城党支部"})
    assert Hand.objects.filter(idea=idea).count() == 2
    page = client.get(public(community_a)).content.decode()
    assert "居民举手 1 人，党支部举手 1 个" in page


def test_public_posts_are_throttled_per_address(settings, community_a):
    settings.PUBLIC_POSTS_PER_HOUR = 2
    client = Client()
    send(client, community_a)
    send(client, community_a, phone="13900000002")
    third = client.post(
        f"/public/c/{community_a.code}/ideas/",
        {"title": "x", "text": "y", "name": "z", "phone": "13900000003"},
    )
    assert third.status_code == 429 and "一小时后再试" in third.content.decode()
    assert Idea.objects.count() == 2


def test_staff_adopt_in_their_community_only(admin_as, api_as, alice, bob, idea):
    assert admin_as(bob).get(f"/admin/microprojects/idea/{idea.pk}/change/").status_code == 404
    assert (
        api_as(bob)
        .post(f"/api/v1/ideas/{idea.pk}/adopt/", {"budget": "5000"}, format="json")
        .status_code
        == 404
    )
    refused = admin_as(bob).post(
        f"/admin/microprojects/idea/{idea.pk}/step/adopt/", {"budget": "1"}
    )
    assert refused.status_code == 404
    response = api_as(alice).post(
        f"/api/v1/ideas/{idea.pk}/adopt/", {"budget": "5000.00"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["budget"] == "5000.00" and response.data["status"] == "adopted"
    again = api_as(alice).post(f"/api/v1/ideas/{idea.pk}/adopt/", {"budget": "1"}, format="json")
    assert again.status_code == 409
    assert Project.objects.count() == 1
    project = Project.objects.get()
    other = api_as(bob)
    assert other.get("/api/v1/micro-projects/").data["count"] == 0
    for step in ["updates", "publish"]:
        url = f"/api/v1/micro-projects/{project.pk}/{step}/"
        assert (
            other.post(url, {"text": "x", "progress": 5, "summary": "x"}, format="json").status_code
            == 404
        )
    assert (
        admin_as(bob).get(f"/admin/microprojects/project/{project.pk}/change/").status_code == 404
    )
    assert project.updates.count() == 1  # the adoption only


def test_from_adoption_to_rating(admin_as, api_as, alice, idea, community_a):
    client = admin_as(alice)
    client.post(f"/admin/microprojects/idea/{idea.pk}/step/adopt/", {"budget": "8000", "title": ""})
    project = Project.objects.get()
    anonymous = Client()
    signup = f"/public/projects/{project.pk}/sign-up/"
    anonymous.post(signup, {"name": "王师傅", "phone": "13800001111"})
    again = anonymous.post(signup, {"name": "王", "phone": "13800001111"}, follow=True)
    assert said(again)[-1] == "这个手机号已报名。"
    assert Participant.objects.count() == 1
    rate = f"/public/projects/{project.pk}/rating/"
    early = anonymous.post(rate, {"phone": "13800001111", "value": "satisfied"}, follow=True)
    assert "公示后才能评价" in said(early)[-1]
    api = api_as(alice)
    update = api.post(
        f"/api/v1/micro-projects/{project.pk}/updates/",
        {"text": "已安装 4 个充电桩", "progress": 50},
        format="json",
    )
    assert update.status_code == 200 and update.data["status"] == "underway"
    published = api.post(
        f"/api/v1/micro-projects/{project.pk}/publish/",
        {"summary": "新增充电桩 8 个"},
        format="json",
    )
    assert published.data["status"] == "published" and published.data["progress"] == 100
    assert (
        api.post(
            f"/api/v1/micro-projects/{project.pk}/updates/",
            {"text": "x", "progress": 1},
            format="json",
        ).status_code
        == 409
    )
    for phone, value in [("13800001111", "satisfied"), ("13800002222", "fairly")]:
        anonymous.post(rate, {"phone": phone, "value": value})
    twice = anonymous.post(rate, {"phone": "13800002222", "value": "unsatisfied"}, follow=True)
    assert said(twice)[-1] == "这个手机号已评价过该项目。"
    assert Rating.objects.count() == 2
    page = anonymous.get(public(community_a)).content.decode()
    assert "满意 1 · 基本满意 1 · 不满意 0" in page and "新增充电桩 8 个" in page
    for personal in ["王师傅", "13800001111", "李先生", PHONE, "138****1111"]:
        assert personal not in page
    shown = api.get(f"/api/v1/micro-projects/{project.pk}/").data
    assert (shown["satisfied"], shown["fairly"], shown["participant_count"]) == (1, 1, 1)


def test_phones_are_masked_unless_the_user_may_see_them(admin_as, api_as, alice, charlie, idea):
    masked = api_as(charlie).get("/api/v1/ideas/").data["results"][0]
    assert masked["phone"] == "139****5678"
    response = admin_as(charlie).get(f"/admin/microprojects/idea/{idea.pk}/change/")
    assert response.status_code == 200, response
    page = response.content.decode()
    assert PHONE not in page and "139****5678" in page
    assert not AccessLog.objects.exists()
    assert api_as(alice).get("/api/v1/ideas/").data["results"][0]["phone"] == PHONE
    assert AccessLog.objects.filter(user=alice).count() == 1


def test_pages_and_lists_take_a_fixed_number_of_queries(admin_as, api_as, alice, community_a):
    def queries(client, path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    def add(n):
        idea = services.submit_idea(
            community=community_a, title=f"议题{n}", text="x", name="x", phone=f"1390000{n:04d}"
        )
        services.raise_hand(idea=idea, phone=f"1370000{n:04d}")
        project = services.adopt(user=alice, idea=idea, budget=Decimal(100))
        services.sign_up(project=project, name="x", phone=f"1360000{n:04d}")
        services.submit_idea(
            community=community_a, title=f"新{n}", text="x", name="x", phone=f"1350000{n:04d}"
        )

    add(1)
    anonymous, admin, api = Client(), admin_as(alice), api_as(alice)
    paths = [
        (anonymous, public(community_a)),
        (admin, "/admin/microprojects/idea/"),
        (admin, "/admin/microprojects/project/"),
        (api, "/api/v1/ideas/"),
        (api, "/api/v1/micro-projects/"),
    ]
    before = [queries(c, p) for c, p in paths]
    for n in range(2, 5):
        add(n)
    assert [queries(c, p) for c, p in paths] == before


def test_progress_photos_are_public_and_only_photos(api_as, alice, idea, community_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from microprojects.models import UpdatePhoto
    from tests.task_data import png

    project = services.adopt(user=alice, idea=idea, budget=Decimal(100))
    url = f"/api/v1/micro-projects/{project.pk}/updates/"
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4", content_type="application/pdf")
    refused = api_as(alice).post(
        url, {"text": "施工", "progress": 10, "photos": [pdf]}, format="multipart"
    )
    assert refused.status_code == 400 and project.updates.count() == 1
    photo = SimpleUploadedFile("陈阿姨家门口.png", png(3, 3), content_type="image/png")
    sent = api_as(alice).post(
        url, {"text": "施工", "progress": 10, "photos": [photo]}, format="multipart"
    )
    assert sent.status_code == 200, sent.data
    stored = UpdatePhoto.objects.get()
    page = Client().get(public(community_a)).content.decode()
    assert f"/public/progress-photos/{stored.pk}/" in page and "陈阿姨家门口" not in page
    served = Client().get(f"/public/progress-photos/{stored.pk}/")
    assert served.status_code == 200 and "陈阿姨" not in served["Content-Disposition"]


def test_bad_staff_input_is_a_chinese_message_or_a_400_and_changes_nothing(
    admin_as, api_as, alice, idea
):
    page = f"/admin/microprojects/idea/{idea.pk}/"
    shown = admin_as(alice).post(f"{page}step/adopt/", {"budget": "很多"}, follow=True)
    assert "请更正" in [str(m) for m in shown.context["messages"]][-1]
    declined = admin_as(alice).post(f"{page}step/decline/", {"answer": " "}, follow=True)
    assert [str(m) for m in declined.context["messages"]][-1].startswith(("请", "答复"))
    api = api_as(alice)
    assert (
        api.post(f"/api/v1/ideas/{idea.pk}/adopt/", {"budget": "-1"}, format="json").status_code
        == 400
    )
    assert api.post("/api/v1/ideas/", {"title": "x"}, format="json").status_code == 400
    idea.refresh_from_db()
    assert (idea.status, Project.objects.count(), Idea.objects.count()) == ("open", 0, 1)
