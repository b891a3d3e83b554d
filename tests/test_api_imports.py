from django.core.files.uploadedfile import SimpleUploadedFile

from residents import services
from residents.models import ImportBatch, Person
from tests.test_register_import import BAD, GOOD, register

URL = "/api/v1/imports/"


def upload(client, data: bytes, **extra):
    return client.post(
        URL, {"file": SimpleUploadedFile("登记表.csv", data), **extra}, format="multipart"
    )


def test_upload_check_confirm_undo(api_as, alice, street):
    client = api_as(alice)
    response = upload(client, register(GOOD + BAD))
    assert response.status_code == 202, response.json()
    pk = response.json()["id"]
    services.check_import(batch=ImportBatch.objects.get(pk=pk))  # what the worker does
    status = client.get(f"{URL}{pk}/").json()
    assert (
        status["status"] == "rejected" and status["error_count"] == 10 and status["percent"] == 100
    )
    assert status["changes_nothing"] is False
    errors = client.get(f"{URL}{pk}/errors/").json()
    assert errors["count"] == 10 and errors["results"][0]["line"] == 8
    refused = client.post(f"{URL}{pk}/confirm/", {}, format="json")
    assert refused.status_code == 400
    accepted = client.post(f"{URL}{pk}/confirm/", {"skip_invalid": True}, format="json")
    assert accepted.status_code == 202
    services.apply_import(batch=ImportBatch.objects.get(pk=pk))
    assert Person.objects.count() == 5
    undone = client.post(f"{URL}{pk}/undo/")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert Person.objects.count() == 0


def test_a_file_over_the_limit_is_refused(api_as, alice, street, settings):
    settings.MAX_IMPORT_FILE_BYTES = 10
    response = upload(api_as(alice), register(GOOD))
    # Stopped while it streams (common.uploads), a 413 as the schema documents.
    assert response.status_code == 413
    assert not ImportBatch.objects.exists()


def test_other_users_batches_are_404(api_as, alice, bob, street):
    batch = services.start_import(user=bob, data=register(GOOD), filename="b.csv")
    client = api_as(alice)
    assert client.get(f"{URL}{batch.pk}/").status_code == 404
    assert client.post(f"{URL}{batch.pk}/confirm/", {}, format="json").status_code == 404
    assert client.post(f"{URL}{batch.pk}/undo/").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_a_batch_is_seen_by_whoever_governs_its_households(
    api_as, alice, bob, charlie, community_a, street
):
    """alice's secretary and the street official follow her import; bob next door does not."""
    from grids.models import Role
    from tests.conftest import make_user

    erin = make_user("erin", community_a, Role.COMMUNITY_SECRETARY)
    batch = services.start_import(user=alice, data=register(GOOD), filename="a.csv")
    services.check_import(batch=batch)
    for user in (alice, erin, charlie):
        client = api_as(user)
        assert client.get(URL).json()["count"] == 1
        assert client.get(f"{URL}{batch.pk}/").json()["area_name"] == community_a.name
    client = api_as(bob)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{batch.pk}/").status_code == 404
    assert client.post(f"{URL}{batch.pk}/confirm/", {}, format="json").status_code == 404
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.CHECKED


def test_a_stairwell_leader_cannot_import(api_as, street):
    from grids.models import Level, Role
    from tests.conftest import first_under, make_user

    leader = make_user("gina", first_under(street, Level.STAIRWELL), Role.STAIRWELL_LEADER)
    assert upload(api_as(leader), register(GOOD)).status_code == 403


def test_query_count(api_as, alice, street, django_assert_max_num_queries):
    for i in range(5):
        services.start_import(user=alice, data=register(GOOD), filename=f"{i}.csv")
    with django_assert_max_num_queries(5):
        response = api_as(alice).get(URL)
    assert response.json()["count"] == 5


def test_an_undo_that_would_lose_later_changes_is_a_400(api_as, alice, street):
    client = api_as(alice)
    pk = upload(client, register(GOOD)).json()["id"]
    services.check_import(batch=ImportBatch.objects.get(pk=pk))
    client.post(f"{URL}{pk}/confirm/", {}, format="json")
    services.apply_import(batch=ImportBatch.objects.get(pk=pk))
    services.update_person(person=Person.objects.get(name="王芳"), phone="13900000009")
    refused = client.post(f"{URL}{pk}/undo/")
    assert refused.status_code == 400 and "撤销" in refused.json()["detail"][0]
    assert client.get(f"{URL}{pk}/").json()["status"] == "applied"
    assert Person.objects.count() == 5
