from grids.models import AccessLog
from residents.models import Person
from tests.support import idn

URL = "/api/v1/persons/"


def names(response) -> set[str]:
    return {p["name"] for p in response.json()["results"]}


def test_list_is_scoped_and_masked_for_frank(api_as, frank, roster):
    data = api_as(frank).get(URL).json()["results"]
    assert {p["name"] for p in data} == {"张伟", "李娜", "王芳", "=HYPERLINK(1)"}
    zhang = next(p for p in data if p["name"] == "张伟")
    assert zhang["id_number"] == roster[0][3][:6] + "*" * 12
    assert zhang["phone"] == "138****0001"
    assert not AccessLog.objects.exists()


def test_full_for_alice_and_audited(api_as, alice, roster):
    data = api_as(alice).get(URL).json()["results"]
    assert roster[0][3] in {p["id_number"] for p in data}
    assert AccessLog.objects.get().count == 4
    pk = Person.objects.get(name="张伟").pk
    api_as(alice).get(f"{URL}{pk}/")
    assert AccessLog.objects.count() == 2


def test_four_lists(api_as, alice, charlie, roster):
    assert names(api_as(charlie).get(URL, {"list": "party-members"})) == {"张伟", "赵强"}
    assert names(api_as(alice).get(URL, {"list": "party-members"})) == {"张伟"}
    assert names(api_as(charlie).get(URL, {"list": "floating"})) == {"王芳", "钱丽"}


def test_search_by_full_id_and_phone(api_as, frank, roster):
    client = api_as(frank)
    assert names(client.get(URL, {"q": roster[0][3].lower()})) == {"张伟"}
    assert names(client.get(URL, {"q": "138 0000 0002"})) == {"李娜"}
    assert names(client.get(URL, {"q": roster[4][3]})) == set()


def test_other_communitys_person_is_404(api_as, alice, roster):
    pk = Person.objects.get(name="赵强").pk
    assert api_as(alice).get(f"{URL}{pk}/").status_code == 404
    assert api_as(alice).patch(f"{URL}{pk}/", {"name": "x"}).status_code == 404


def test_create_validates_the_id_and_jurisdiction(api_as, alice, roster):
    from residents.models import Household

    client = api_as(alice)
    mine = Household.objects.get(number="A2").pk
    theirs = Household.objects.get(number="B1").pk
    number = idn("330106", "20100101", 1)
    bad_id = client.post(
        URL,
        {
            "household": mine,
            "name": "小明",
            "id_number": number[:-1] + ("0" if number[-1] != "0" else "1"),
        },
    )
    assert bad_id.status_code == 400 and "id_number" in bad_id.json()
    outside = client.post(URL, {"household": theirs, "name": "小明", "id_number": number})
    assert outside.status_code == 400 and "household" in outside.json()
    ok = client.post(
        URL, {"household": mine, "name": "小明", "id_number": number, "relation": "child"}
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["sex"] == "M" and ok.json()["birth_date"] == "2010-01-01"
    assert Person.objects.filter(name="小明").count() == 1


def test_query_count(api_as, charlie, roster, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        api_as(charlie).get(URL)


def test_lists_narrow_to_a_subtree_in_the_jurisdiction(api_as, alice, charlie, roster):
    from grids.models import Level, Node

    stairwell = Node.objects.get(level=Level.STAIRWELL, compound="和达城", building="1", unit="1")
    community_b = Node.objects.get(code="330106004002")
    assert names(api_as(charlie).get(URL, {"node": stairwell.pk})) == {"张伟", "李娜"}
    assert names(api_as(charlie).get(URL, {"node": community_b.pk, "list": "floating"})) == {"钱丽"}
    # A node outside the jurisdiction is a bad parameter, like one that is no id at all.
    outside = api_as(alice).get(URL, {"node": community_b.pk})
    assert outside.status_code == 400
    assert "管辖范围" in outside.json()["node"][0]
    assert api_as(alice).get("/api/v1/households/", {"node": community_b.pk}).status_code == 400
    assert api_as(alice).get(URL, {"node": "x"}).status_code == 400
