from grids.models import Level, Node
from residents.models import Flat, Household

URL = "/api/v1/households/"


def numbers(response) -> set[str]:
    return {h["number"] for h in response.json()["results"]}


def test_list_is_scoped(api_as, alice, bob, roster):
    assert numbers(api_as(alice).get(URL)) == {"A1", "A2", "A3"}
    assert numbers(api_as(bob).get(URL)) == {"B1", "B2"}


def test_rented_list_and_search(api_as, alice, charlie, roster):
    assert numbers(api_as(charlie).get(URL, {"rented": "1"})) == {"A2", "B2"}
    assert numbers(api_as(alice).get(URL, {"rented": "1"})) == {"A2"}
    assert numbers(api_as(alice).get(URL, {"q": "张伟"})) == {"A1"}
    assert numbers(api_as(alice).get(URL, {"q": roster[4][3]})) == set()


def test_other_communitys_household_is_404(api_as, alice, roster):
    pk = Household.objects.get(number="B1").pk
    client = api_as(alice)
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.patch(f"{URL}{pk}/", {"owner": "x"}).status_code == 404


def test_create_in_and_outside_jurisdiction(api_as, alice, roster):
    client = api_as(alice)
    mine = Node.objects.filter(level=Level.STAIRWELL, compound="和达城").first()
    theirs = Node.objects.filter(level=Level.STAIRWELL, compound="云帆城").first()
    ok = client.post(URL, {"stairwell": mine.pk, "room": "808", "housing_status": "vacant"})
    assert ok.status_code == 201, ok.json()
    assert ok.json()["community"] == mine.parent.parent.parent_id
    bad = client.post(URL, {"stairwell": theirs.pk, "room": "808"})
    assert bad.status_code == 400 and "stairwell" in bad.json()
    # A second household in the same room moves into the same flat (合租, 两户同住).
    second = client.post(URL, {"stairwell": mine.pk, "room": "808"})
    assert second.status_code == 201, second.json()
    assert second.json()["flat"] == ok.json()["flat"]
    assert second.json()["housing_status"] == "vacant"  # the flat's, shared
    assert Household.objects.filter(room="808").count() == 2
    assert Flat.objects.filter(room="808").count() == 1


def test_query_count(api_as, charlie, roster, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api_as(charlie).get(URL)
    assert response.json()["count"] == 5
