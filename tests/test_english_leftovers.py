"""What a new user still met in English: the tag picker, the export's field list, the
restore message's UTC timestamp, the API docs' own texts. Times are Asia/Shanghai's."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from residents.models import Person
from tests.conftest import PASSWORD
from tests.support import chromium


def test_times_are_shanghai_time_in_chinese_formats():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    moment = datetime.datetime(2026, 3, 2, 1, 5, tzinfo=datetime.UTC)
    with translation.override("zh-hans"):
        shown = formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    assert shown == "2026年3月2日 09:05"


@pytest.mark.django_db
def test_the_admin_javascript_catalog_has_the_tag_picker_in_chinese(admin_as, alice):
    script = admin_as(alice).get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\n  \});", script, re.S)[1])
    # Django's own zh_Hans catalog leaves these in English (locale/zh_Hans/LC_MESSAGES/djangojs.po)
    chooser = 'Choose %s by selecting them and then select the "Choose" arrow button.'
    assert catalog[chooser] == "选中要添加的%s，再点击“选择”箭头。"
    assert catalog["Choose all %s"] == "全选%s" and catalog["Remove all %s"] == "全部移除%s"


@pytest.mark.django_db
def test_the_export_page_lists_its_fields_in_chinese(admin_as, alice, roster):
    client = admin_as(alice)
    for model in ("person", "household"):
        html = client.get(reverse(f"admin:residents_{model}_export")).content.decode()
        labels = re.findall(r'<label for="id_\w+resource_\w+"[^>]*>(.*?)</label>', html, re.S)
        assert labels, model
        assert not [label for label in labels if re.search("[A-Za-z]", label)], labels
        assert "全选" in html and "Select all" not in html
    assert "公民身份号码" in labels or "户号" in labels


@pytest.mark.django_db
def test_the_restore_message_says_when_in_local_time(admin_as, alice, roster):
    wang = Person.objects.get(name="王芳")
    wang_pk = wang.pk
    wang.delete()
    record = Person.history.get(id=wang_pk, history_type="-")
    response = admin_as(alice).post(
        reverse("admin:residents_restore", args=["person", record.history_id]), follow=True
    )
    [message] = [str(m) for m in response.context["messages"]]
    local = timezone.localtime(record.history_date)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in message
    assert "王芳" in message and "as of" not in message and "+00:00" not in message


@pytest.mark.django_db
def test_the_api_docs_own_texts_are_chinese(admin_as, alice):
    client = admin_as(alice)
    schema = client.get("/api/schema/?format=json").json()
    assert schema["info"]["title"] == "微网格治理平台 API"
    assert "管辖范围" in schema["info"]["description"]
    tags = {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    assert {"住户", "居民", "网格节点", "力量配备缺口"} <= tags
    assert not [tag for tag in tags if re.search("[A-Za-z]", tag)], tags
    invalid = schema["paths"]["/api/v1/persons/"]["get"]["responses"]["400"]
    assert "每个无效字段" in str(invalid)
    assert "<title>微网格治理平台 API</title>" in client.get("/api/docs/").content.decode()


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context(locale="zh-CN").new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_tag_picker_speaks_chinese(page, live_server, alice, roster):
    person = Person.objects.get(name="张伟")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/residents/person/{person.pk}/change/")
    picker = page.locator(".selector").first
    picker.wait_for()
    text = picker.inner_text()
    assert "选中要添加的" in text and "“选择”箭头" in text
    assert "Choose" not in text and "Remove" not in text
    assert picker.locator(".selector-chooseall").inner_text().startswith("全选")
