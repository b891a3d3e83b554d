"""Roster admin: jurisdiction by URL, posted foreign key and search; masking and its audit."""

from datetime import date

from django.urls import reverse

from grids.models import AccessLog
from residents.models import Household, ImportBatch, Person
from tests.support import idn

HOUSEHOLDS = reverse("admin:residents_household_changelist")
PERSONS = reverse("admin:residents_person_changelist")


def names(response) -> set[str]:
    return {p.name for p in response.context["cl"].result_list}


def test_household_list_is_scoped(admin_as, alice, bob, roster):
    rooms = {h.number for h in admin_as(alice).get(HOUSEHOLDS).context["cl"].result_list}
    assert rooms == {"A1", "A2", "A3"}
    rooms = {h.number for h in admin_as(bob).get(HOUSEHOLDS).context["cl"].result_list}
    assert rooms == {"B1", "B2"}


def test_other_communitys_household_and_person_by_url_are_404(admin_as, alice, roster):
    client = admin_as(alice)
    household = Household.objects.get(number="B1")
    person = Person.objects.get(name="赵强")
    assert (
        client.get(reverse("admin:residents_household_change", args=[household.pk])).status_code
        == 404
    )
    assert client.get(reverse("admin:residents_person_change", args=[person.pk])).status_code == 404


def test_search_by_full_id_and_phone_but_not_across(admin_as, alice, frank, roster):
    client = admin_as(frank)
    assert names(client.get(PERSONS, {"q": roster[0][3]})) == {"张伟"}
    assert names(client.get(PERSONS, {"q": "13800000002"})) == {"李娜"}
    assert names(client.get(PERSONS, {"q": roster[4][3]})) == set()
    assert names(admin_as(alice).get(PERSONS, {"q": "赵强"})) == set()
    households = admin_as(alice).get(HOUSEHOLDS, {"q": "张伟"}).context["cl"].result_list
    assert {h.number for h in households} == {"A1"}


def test_masked_for_a_user_without_the_permission(admin_as, frank, roster):
    client = admin_as(frank)
    page = client.get(PERSONS).content.decode()
    full_id = roster[0][3]
    assert full_id not in page and "13800000001" not in page
    assert full_id[:6] + "*" * 12 in page
    assert "138****0001" in page
    assert (
        reverse("admin:residents_four_lists") in page
        and reverse("admin:residents_person_export") in page
    )
    person = Person.objects.get(name="张伟")
    detail = client.get(reverse("admin:residents_person_change", args=[person.pk])).content.decode()
    assert full_id not in detail and "13800000001" not in detail
    assert not AccessLog.objects.exists()


def test_unmasked_views_are_audited(admin_as, alice, roster):
    client = admin_as(alice)
    page = client.get(PERSONS).content.decode()
    assert roster[0][3] in page
    log = AccessLog.objects.get()
    assert log.user == alice and log.action == "view" and log.count == 4
    person = Person.objects.get(name="张伟")
    client.get(reverse("admin:residents_person_change", args=[person.pk]))
    assert AccessLog.objects.filter(object_ids=str(person.pk)).exists()


def test_posted_foreign_keys_outside_are_rejected(admin_as, alice, roster):
    from grids.models import Level, Node

    client = admin_as(alice)
    stairwell_b = Node.objects.filter(level=Level.STAIRWELL, compound="云帆城").first()
    response = client.post(
        reverse("admin:residents_household_add"),
        {"stairwell": stairwell_b.pk, "room": "999", "housing_status": "owner_occupied"},
    )
    assert response.status_code == 200 and "stairwell" in response.context["adminform"].form.errors
    household_b = Household.objects.get(number="B1")
    response = client.post(
        reverse("admin:residents_person_add"),
        {
            "household": household_b.pk,
            "name": "越界",
            "id_number": idn("330106", "19990101", 1),
            "relation": "other",
            "residence_type": "registered",
            "political_status": "masses",
        },
    )
    assert response.status_code == 200 and "household" in response.context["adminform"].form.errors
    assert (
        not Household.objects.filter(room="999").exists()
        and not Person.objects.filter(name="越界").exists()
    )


def test_bad_id_number_in_the_form_gets_a_chinese_error(admin_as, alice, roster):
    household = Household.objects.get(number="A1")
    response = admin_as(alice).post(
        reverse("admin:residents_person_add"),
        {
            "household": household.pk,
            "name": "错号",
            "id_number": "330106198001010000",
            "relation": "child",
            "residence_type": "registered",
            "political_status": "masses",
        },
    )
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert not Person.objects.filter(name="错号").exists()


def test_export_is_scoped_masked_escaped_and_audited(admin_as, alice, frank, roster):
    export_url = reverse("admin:residents_person_export")
    chosen = {f"personresource_{f}": "on" for f in ["name", "id_number", "phone", "address"]}
    response = admin_as(frank).post(export_url, {"resource": "0", "format": "0", **chosen})
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200, body[:500]
    assert roster[0][3] not in body and "赵强" not in body
    assert "'=HYPERLINK(1)" in body
    log = AccessLog.objects.get(action="export")
    assert log.user == frank and log.count == 4


def test_list_query_counts(admin_as, alice, roster, django_assert_max_num_queries):
    client = admin_as(alice)
    client.get(PERSONS)
    with django_assert_max_num_queries(14):
        client.get(PERSONS)
    with django_assert_max_num_queries(12):
        client.get(HOUSEHOLDS)


def test_member_counts_are_counted_for_the_page_only(admin_as, alice, roster):
    """Counting every member of the street before the page is cut took 430 ms (item 10)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        response = admin_as(alice).get(HOUSEHOLDS)
    counts = {h.number: h.member_count for h in response.context["cl"].result_list}
    assert counts == {"A1": 2, "A2": 1, "A3": 1}
    counting = [q["sql"] for q in page.captured_queries if "COUNT(" in q["sql"].upper()]
    member_counts = [sql for sql in counting if '"residents_person"' in sql]
    assert len(member_counts) == 1 and " IN (" in member_counts[0]
    assert "GROUP BY" not in " ".join(sql for sql in counting if sql not in member_counts)


def test_import_batches_of_others_are_404(admin_as, alice, bob, roster):
    from residents import services

    batch = services.start_import(user=bob, data=b"x", filename="b.csv")
    client = admin_as(alice)
    assert (
        client.get(reverse("admin:residents_importbatch_change", args=[batch.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("admin:residents_importbatch_progress", args=[batch.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("admin:residents_importbatch_errors", args=[batch.pk])).status_code
        == 404
    )
    client.post(reverse("admin:residents_importbatch_confirm", args=[batch.pk]))
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PENDING


def test_a_colleagues_import_is_listed_and_next_doors_is_not(
    admin_as, alice, bob, roster, django_assert_max_num_queries
):
    from grids.models import Role
    from residents import services
    from tests.conftest import make_user
    from tests.test_register_import import GOOD, register

    erin = make_user("erin", alice.staff.home_node, Role.COMMUNITY_SECRETARY)
    made = []
    for n in range(3):
        batch = services.start_import(user=alice, data=register(GOOD), filename=f"{n}.csv")
        services.check_import(batch=batch)
        made.insert(0, batch)
    batches = reverse("admin:residents_importbatch_changelist")
    client = admin_as(erin)
    client.get(batches)
    with django_assert_max_num_queries(10):
        assert list(client.get(batches).context["cl"].result_list) == made
    assert list(admin_as(bob).get(batches).context["cl"].result_list) == []
    preview = reverse("admin:residents_importbatch_change", args=[batch.pk])
    assert admin_as(erin).get(preview).status_code == 200
    assert admin_as(bob).get(preview).status_code == 404


def test_four_lists_page_is_scoped(admin_as, alice, charlie, roster, django_assert_max_num_queries):
    from residents import services

    services.record_life_event(
        household=Household.objects.get(number="A1"), kind="birth", occurred_on=date.today()
    )
    url = reverse("admin:residents_four_lists")
    counts = {i.key: i.count for i in admin_as(alice).get(url).context["lists"]}
    assert counts == {"party_members": 1, "floating": 1, "rented": 1, "life_events": 1}
    client = admin_as(charlie)
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert {i.key: i.count for i in response.context["lists"]} == {
        "party_members": 2,
        "floating": 2,
        "rented": 2,
        "life_events": 1,
    }
    community_b = Household.objects.get(number="B1").community
    assert admin_as(alice).get(url, {"community": community_b.pk}).status_code == 404
    narrowed = admin_as(charlie).get(url, {"community": community_b.pk}).context["lists"]
    assert {i.key: i.count for i in narrowed} == {
        "party_members": 1,
        "floating": 1,
        "rented": 1,
        "life_events": 0,
    }
    link = next(i.url for i in response.context["lists"] if i.key == "floating")
    assert {p.name for p in admin_as(charlie).get(link).context["cl"].result_list} == {
        "王芳",
        "钱丽",
    }


def test_household_export_is_scoped_and_audited(admin_as, bob, roster):
    export_url = reverse("admin:residents_household_export")
    chosen = {f"householdresource_{f}": "on" for f in ["address", "number", "housing_status"]}
    response = admin_as(bob).post(export_url, {"resource": "0", "format": "0", **chosen})
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "云帆城" in body and "和达城" not in body
    assert AccessLog.objects.get(action="export").count == 2


def test_event_visit_and_batch_lists_are_scoped(
    admin_as, alice, bob, roster, django_assert_max_num_queries
):
    from residents import services

    a1, b1 = Household.objects.get(number="A1"), Household.objects.get(number="B1")
    for household, staff in ((a1, alice.staff), (b1, bob.staff)):
        services.record_life_event(household=household, kind="marriage", occurred_on=date.today())
        services.record_visit(
            household=household, visitor=staff, visited_on=date.today(), notes="走访"
        )
    services.start_import(user=bob, data=b"x", filename="bob.csv")
    client = admin_as(alice)
    for name in ("lifeevent", "visit"):
        url = reverse(f"admin:residents_{name}_changelist")
        client.get(url)
        with django_assert_max_num_queries(12):
            rows = client.get(url).context["cl"].result_list
        assert [r.household_id for r in rows] == [a1.pk]
    batches = (
        client.get(reverse("admin:residents_importbatch_changelist")).context["cl"].result_list
    )
    assert list(batches) == []
    event_b = b1.events.get()
    assert (
        client.get(reverse("admin:residents_lifeevent_change", args=[event_b.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("admin:residents_visit_add"),
        {
            "household": b1.pk,
            "visitor": alice.staff.pk,
            "visited_on": "2026-11-20",
            "notes": "越界",
        },
    )
    assert response.status_code == 200 and "household" in response.context["adminform"].form.errors


def test_a_deleted_person_is_restored_within_the_jurisdiction(admin_as, alice, bob, roster):
    zhang_pk = Person.objects.get(name="张伟").pk
    zhao_pk = Person.objects.get(name="赵强").pk
    Person.objects.filter(pk__in=[zhang_pk, zhao_pk]).delete()
    client = admin_as(alice)
    page = client.get(reverse("admin:residents_deleted"))
    assert [p.name for p in page.context["persons"]] == ["张伟"]
    assert roster[0][3] not in page.content.decode()
    record_b = Person.history.filter(id=zhao_pk, history_type="-").get()
    assert (
        client.post(
            reverse("admin:residents_restore", args=["person", record_b.history_id])
        ).status_code
        == 404
    )
    record = Person.history.filter(id=zhang_pk, history_type="-").get()
    client.post(reverse("admin:residents_restore", args=["person", record.history_id]))
    restored = Person.objects.get(pk=zhang_pk)
    assert restored.id_number == roster[0][3] and restored.household.number == "A1"
    assert not Person.objects.filter(pk=zhao_pk).exists()
    # once restored, the record is no longer among the deleted
    response = client.post(reverse("admin:residents_restore", args=["person", record.history_id]))
    assert response.status_code == 404


def test_a_deleted_household_is_restored(admin_as, alice, roster):
    household = Household.objects.get(number="A3")
    pk = household.pk
    household.members.all().delete()
    household.delete()
    client = admin_as(alice)
    record = Household.history.filter(id=pk, history_type="-").get()
    assert [
        h.history_id for h in client.get(reverse("admin:residents_deleted")).context["households"]
    ] == [record.history_id]
    client.post(reverse("admin:residents_restore", args=["household", record.history_id]))
    assert Household.objects.get(pk=pk).community_id == record.community_id


def test_a_refused_undo_says_why_and_keeps_the_import(admin_as, alice, street):
    from residents import services
    from tests.test_register_import import GOOD, register

    result = services.import_now(data=register(GOOD), filename="登记表.csv", user=alice)
    services.update_person(person=Person.objects.get(name="王芳"), phone="13900000009")
    client = admin_as(alice)
    page = client.post(
        reverse("admin:residents_importbatch_undo", args=[result.batch_id]), follow=True
    )
    assert any("撤销本次导入会丢失" in str(m) for m in page.context["messages"])
    assert ImportBatch.objects.get(pk=result.batch_id).status == ImportBatch.Status.APPLIED
    assert Person.objects.count() == 5


def test_a_file_the_records_already_match_offers_nothing_to_confirm(admin_as, alice, street):
    from residents import services
    from tests.test_register_import import GOOD, register

    first = services.import_now(data=register(GOOD), filename="登记表.csv", user=alice)
    again = services.start_import(user=alice, data=register(GOOD), filename="登记表.csv")
    services.check_import(batch=again)
    client = admin_as(alice)

    def preview(pk: int) -> str:
        return client.get(reverse("admin:residents_importbatch_change", args=[pk])).content.decode()

    html = preview(again.pk)
    assert 'id="nothing-to-write"' in html and 'id="confirm-import"' not in html
    assert "alice" in html and "邻里社区" in html  # who uploaded it, and where it lands
    assert "将新增户数" in html
    written = preview(first.batch_id)
    assert "新增户数" in written and "将新增户数" not in written
