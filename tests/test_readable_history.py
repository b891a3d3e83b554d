"""The history page of households and persons: imports, edits, undo and restore, readable,
in Chinese, masked as the viewer may see, scoped, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.models import AccessLog
from residents import services
from residents.history import EntryKind, record_history
from residents.models import Household, ImportBatch, Person
from tests.conftest import PASSWORD
from tests.support import chromium
from tests.test_masking_reconstruction import visible_to

ROSTER_HEADER = (
    "户号,姓名,性别,公民身份号码,与户主关系,现居住地址,联系电话,政治面貌,人口类型,房屋性质\n"
)


def history_url(record) -> str:
    name = type(record)._meta.model_name
    return reverse(f"admin:residents_{name}_history", args=[record.pk])


def edit_zhang_in_the_admin(client, **changes) -> None:
    """Post 张伟's change form as it stands, with `changes`."""
    zhang = Person.objects.get(name="张伟")
    data = {
        "household": zhang.household_id,
        "name": zhang.name,
        "id_number": zhang.id_number,
        "phone": zhang.phone,
        "relation": zhang.relation,
        "ethnicity": zhang.ethnicity,
        "residence_type": zhang.residence_type,
        "political_status": zhang.political_status,
        "party_kind": zhang.party_kind,
        **changes,
    }
    response = client.post(reverse("admin:residents_person_change", args=[zhang.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_an_imported_household_shows_its_import(admin_as, alice, roster):
    household = Household.objects.get(number="A1")
    batch = ImportBatch.objects.get()
    response = admin_as(alice).get(history_url(household))
    assert response.status_code == 200
    (entry,) = response.context["entries"]
    assert entry.kind == EntryKind.IMPORTED and entry.action == "导入"
    assert entry.who == f"导入批次 #{batch.pk}"
    shown = {change.field: change.new for change in entry.changes}
    # The flat, by its address, says where: the household's stairwell and room are its.
    assert shown == {"户号": "A1", "户别": "家庭户", "房屋": "和达城1幢1单元101"}
    page = response.content.decode()
    assert f"导入批次 #{batch.pk}" in page and "房屋：和达城1幢1单元101" in page
    assert "此对象没有修改历史" not in page

    # The housing status is the flat's, in the flat's history.
    response = admin_as(alice).get(history_url(household.flat))
    (entry,) = response.context["entries"]
    assert entry.kind == EntryKind.IMPORTED and entry.who == f"导入批次 #{batch.pk}"
    shown = {change.field: change.new for change in entry.changes}
    assert shown["房号"] == "101" and shown["房屋性质"] == "自住"
    assert shown["楼道"].startswith("和达城1幢1单元")
    assert "street" not in shown and "街道" not in shown  # copied from the stairwell


def test_an_edit_shows_old_and_new_masked_or_in_full(admin_as, alice, frank, roster):
    edit_zhang_in_the_admin(admin_as(alice), phone="13800000000", political_status="masses")
    zhang = Person.objects.get(name="张伟")

    masked = admin_as(frank).get(history_url(zhang))
    page = masked.content.decode()
    newest = masked.context["entries"][0]
    assert newest.kind == EntryKind.CHANGED and newest.who == "alice" and newest.action == "修改"
    assert "电话：138****0001 → 138****0000" in page
    assert "政治面貌：中共党员 → 群众" in page
    assert "13800000001" not in page and "13800000000" not in page
    visible_to(page, zhang)  # the imported entry's ID number and birth date too
    assert "1980年" in page
    assert not AccessLog.objects.exists()

    full = admin_as(alice).get(history_url(zhang)).content.decode()
    assert "电话：13800000001 → 13800000000" in full
    assert zhang.id_number in full
    assert AccessLog.objects.filter(user=alice, object_ids=str(zhang.pk)).exists()


def test_the_times_are_chinese_and_local(admin_as, alice, roster):
    from django.utils import timezone

    zhang = Person.objects.get(name="张伟")
    (entry,) = record_history(record=zhang, user=alice)
    row = Person.history.get(id=zhang.pk)
    local = timezone.localtime(row.history_date)
    assert str(local.tzinfo) == "Asia/Shanghai"
    assert entry.when == f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def test_undo_delete_and_restore_are_told(admin_as, alice, roster):
    rows = [list(roster[0]), list(roster[1])]
    rows[0][6] = "13800000009"
    data = (ROSTER_HEADER + "\n".join(",".join(r) for r in rows)).encode("utf-8")
    services.import_now(data=data, filename="again.csv", user=alice)
    batch = ImportBatch.objects.get(filename="again.csv")
    services.undo_import(batch=batch, user=alice)
    zhang = Person.objects.get(name="张伟")
    entries = record_history(record=zhang, user=alice)
    assert [e.kind for e in entries] == [EntryKind.UNDONE, EntryKind.IMPORTED, EntryKind.IMPORTED]
    undone, imported, _first = entries
    assert undone.action == f"撤销导入批次 #{batch.pk}" and undone.who == "alice"
    assert [(c.field, c.old, c.new) for c in undone.changes] == [
        ("电话", "13800000009", "13800000001")
    ]
    assert [(c.field, c.old, c.new) for c in imported.changes] == [
        ("电话", "13800000001", "13800000009")
    ]

    wang = Person.objects.get(name="王芳")
    wang_pk = wang.pk
    wang.delete()
    record = Person.history.get(id=wang_pk, history_type="-")
    admin_as(alice).post(reverse("admin:residents_restore", args=["person", record.history_id]))
    entries = record_history(record=Person.objects.get(pk=wang_pk), user=alice)
    assert [e.kind for e in entries] == [EntryKind.RESTORED, EntryKind.DELETED, EntryKind.IMPORTED]
    assert [e.action for e in entries[:2]] == ["恢复", "删除"]


def test_a_person_added_in_the_admin_was_created_by_the_user(admin_as, alice, roster):
    from tests.support import idn

    response = admin_as(alice).post(
        reverse("admin:residents_person_add"),
        {
            "household": Household.objects.get(number="A1").pk,
            "name": "张小伟",
            "id_number": idn("330106", "20100101", 15),
            "relation": "child",
            "residence_type": "registered",
            "political_status": "masses",
        },
    )
    assert response.status_code == 302
    (entry,) = record_history(record=Person.objects.get(name="张小伟"), user=alice)
    assert (entry.kind, entry.who, entry.action) == (EntryKind.CREATED, "alice", "新建")
    assert ("与户主关系", None, "子女") in [(c.field, c.old, c.new) for c in entry.changes]


def test_tags_and_dates_are_shown_by_their_names(alice, roster):
    from residents.models import Tag

    zhang = Person.objects.get(name="张伟")
    services.update_person(person=zhang, tags=[Tag.objects.get_or_create(name="独居老人")[0]])
    services.update_person(person=zhang, moved_in_on="2020-05-04")
    entries = record_history(record=zhang, user=alice)
    changes = [(c.field, c.old, c.new) for e in entries for c in e.changes][:2]
    assert changes == [("迁入日期", "（空）", "2020年5月4日"), ("特殊人群", "（空）", "独居老人")]
    assert entries[0].who == "系统"


def test_a_former_household_outside_the_jurisdiction_is_not_named(alice, roster):
    zhang = Person.objects.get(name="张伟")
    elsewhere = Household.objects.get(number="B1")
    services.update_person(person=zhang, household=elsewhere, relation="other")
    services.update_person(person=zhang, household=Household.objects.get(number="A2"))
    moves = [
        (c.old, c.new)
        for e in record_history(record=zhang, user=alice)
        for c in e.changes
        if c.field == "住户"
    ]
    assert moves[0] == ("（已删除或不在辖区内）", str(Household.objects.get(number="A2")))
    assert all("云帆城" not in f"{old}{new}" for old, new in moves)


def test_other_communitys_history_is_404(admin_as, alice, roster):
    client = admin_as(alice)
    assert client.get(history_url(Household.objects.get(number="B1"))).status_code == 404
    assert client.get(history_url(Person.objects.get(name="赵强"))).status_code == 404
    assert client.get(history_url(Person.objects.get(name="张伟"))).status_code == 200


def queries_of_history_page(client, record) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(history_url(record)).status_code == 200
    return len(queries)


def test_queries_are_the_same_for_one_entry_and_twenty(admin_as, alice, roster):
    from residents.models import Tag

    tag = Tag.objects.get_or_create(name="低保")[0]
    wang, zhang = Person.objects.get(name="王芳"), Person.objects.get(name="张伟")
    for n in range(19):
        services.update_person(person=zhang, phone=f"139{n:08d}", tags=[tag] if n % 2 else [])
    assert zhang.history.count() >= 20 and wang.history.count() == 1
    record_history(record=wang, user=alice)  # alice's scope and permissions, read once
    with CaptureQueriesContext(connection) as one:
        record_history(record=wang, user=alice)
    with CaptureQueriesContext(connection) as twenty:
        assert len(record_history(record=zhang, user=alice)) >= 20
    assert len(one) == len(twenty) <= 4
    client = admin_as(alice)
    assert queries_of_history_page(client, wang) == queries_of_history_page(client, zhang)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_persons_history_page_in_chromium(live_server, alice, roster):
    edit_phone = Person.objects.get(name="李娜")
    services.update_person(person=edit_phone, phone="13800000222")
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.goto(
            f"{live_server.url}{reverse('admin:residents_person_change', args=[edit_phone.pk])}"
        )
        page.click("a.historylink")
        page.wait_for_selector("#history-entries")
        rows = page.locator("#history-entries tbody tr").all_inner_texts()
        assert len(rows) == 2
        assert "电话：13800000002 → 13800000222" in rows[0]
        assert "导入批次 #" in rows[1] and "姓名：李娜" in rows[1]
        assert "历史" in page.locator(".breadcrumbs").inner_text()


def a_household_in(community, room: str = "101") -> Household:
    from grids.models import Level
    from tests.conftest import first_under

    stairwell = first_under(community, Level.STAIRWELL)
    return services.create_household(
        stairwell=stairwell, room=room, number="F1", housing_status="owner_occupied"
    )


def test_a_households_flat_is_named_by_its_address(admin_as, alice, community_a):
    household = a_household_in(community_a)
    first = household.flat
    services.update_household(household=household, room="102")
    second = Household.objects.get(pk=household.pk).flat
    assert first != second and str(first).endswith("1单元101")

    moved, created = record_history(record=household, user=alice)
    assert [(c.field, c.old, c.new) for c in moved.changes] == [("房屋", str(first), str(second))]
    shown = {change.field: change.new for change in created.changes}
    assert shown == {
        "户号": "F1",
        "户别": "家庭户",
        "房屋": str(first),
    }  # the flat: stairwell and room

    page = admin_as(alice).get(history_url(household)).content.decode()
    assert f"房屋：{first} → {second}" in page
    assert f">{first.pk}<" not in page and f"：{first.pk} " not in page


def test_a_flats_history_reads_its_fields(admin_as, alice, bob, community_a):
    from residents.models import Flat

    flat = a_household_in(community_a).flat
    services.update_flat(flat=flat, housing_status="rented", area=Decimal("88.50"), owner="王芳")
    services.update_flat(flat=flat, use="office")
    flat = Flat.objects.get(pk=flat.pk)

    response = admin_as(alice).get(history_url(flat))
    assert response.status_code == 200
    office, rented, created = response.context["entries"]
    assert (created.kind, created.who) == (EntryKind.CREATED, "系统")
    assert {c.field: c.new for c in created.changes} == {
        "楼道": str(flat.stairwell),
        "房号": "101",
        "用途": "住宅",
        "房屋性质": "自住",
        "交付状态": "已交付",
    }
    assert [(c.field, c.old, c.new) for c in rented.changes] == [
        ("房屋性质", "自住", "出租"),
        ("专有部分面积（㎡）", "（空）", "88.50"),
        (str(Flat._meta.get_field("owner").verbose_name), "（空）", "王芳"),
    ]
    assert [(c.field, c.old, c.new) for c in office.changes] == [("用途", "住宅", "办公")]
    page = response.content.decode()
    assert "房屋性质：自住 → 出租" in page and str(flat) in page

    # Scoped like the flat's page: bob works in another community.
    assert admin_as(bob).get(history_url(flat)).status_code == 404


def test_every_history_page_can_name_what_its_records_point_to():
    """A foreign key a history shows needs its scoped lookup (history.RELATED_LOOKUPS)."""
    from django.contrib import admin

    from residents import history
    from residents.admin.history import ReadableHistoryMixin

    pages = [m for m, a in admin.site._registry.items() if isinstance(a, ReadableHistoryMixin)]
    assert {m._meta.model_name for m in pages} >= {"household", "person", "flat"}
    for model in pages:
        for field in history._shown_fields(model.history.model, hidden=frozenset()):
            if field.many_to_one:
                assert field.related_model in history.RELATED_LOOKUPS, (model, field.name)


def test_an_owners_history_masks_a_persons_id_number_not_an_organisations_code(frank):
    from residents import owners
    from residents.models import Owner, OwnerKind
    from tests.support import credit_code, idn

    number, code = idn("330106", "19800101", 12), credit_code(9)
    person = owners.create_owner(name="王芳", certificate=number)
    company = owners.create_owner(
        name="某某置业有限公司", kind=OwnerKind.ORGANISATION, certificate=code
    )
    label = str(Owner._meta.get_field("certificate").verbose_name)
    [person_created] = record_history(record=person, user=frank)
    [company_created] = record_history(record=company, user=frank)
    assert {c.field: c.new for c in person_created.changes}[label] == "330106" + "*" * 12
    assert {c.field: c.new for c in company_created.changes}[label] == code
