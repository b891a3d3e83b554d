import datetime

from residents import services
from residents.models import Household, LifeEvent, Visit

EVENTS = "/api/v1/life-events/"
VISITS = "/api/v1/visits/"


def test_life_events_scoped_and_recent(api_as, alice, bob, roster):
    a1 = Household.objects.get(number="A1")
    b1 = Household.objects.get(number="B1")
    today = datetime.date.today()
    services.record_life_event(household=a1, kind="marriage", occurred_on=today)
    services.record_life_event(household=b1, kind="death", occurred_on=today)
    services.record_life_event(
        household=a1, kind="birth", occurred_on=today - datetime.timedelta(days=400)
    )
    kinds = {e["kind"] for e in api_as(alice).get(EVENTS).json()["results"]}
    assert kinds == {"marriage", "birth"}
    recent = {e["kind"] for e in api_as(alice).get(EVENTS, {"recent": "1"}).json()["results"]}
    assert recent == {"marriage"}
    response = api_as(alice).post(
        EVENTS, {"household": b1.pk, "kind": "birth", "occurred_on": today.isoformat()}
    )
    assert response.status_code == 400


def test_visits_scoped(api_as, alice, bob, roster):
    a1 = Household.objects.get(number="A1")
    b1 = Household.objects.get(number="B1")
    client = api_as(alice)
    ok = client.post(
        VISITS,
        {
            "household": a1.pk,
            "visitor": alice.staff.pk,
            "visited_on": "2026-11-20",
            "notes": "走访独居老人",
        },
    )
    assert ok.status_code == 201, ok.json()
    outside = client.post(
        VISITS,
        {"household": b1.pk, "visitor": alice.staff.pk, "visited_on": "2026-11-20", "notes": "x"},
    )
    assert outside.status_code == 400
    assert api_as(bob).get(VISITS).json()["count"] == 0
    assert api_as(alice).get(VISITS).json()["count"] == 1


def test_query_counts(api_as, charlie, roster, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        api_as(charlie).get(EVENTS)
    with django_assert_max_num_queries(6):
        api_as(charlie).get(VISITS)


def test_dates_outside_what_can_have_happened_are_400(api_as, alice, roster):
    """A visit dated 0163-04-28 was accepted; the models' date validators answer through the API."""
    a1 = Household.objects.get(number="A1")
    client = api_as(alice)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    for visited_on in ("0163-04-28", "1899-12-31", tomorrow):
        response = client.post(
            VISITS,
            {"household": a1.pk, "visitor": alice.staff.pk, "visited_on": visited_on, "notes": "x"},
            format="json",
        )
        assert response.status_code == 400, (visited_on, response.content)
        assert visited_on[:4].lstrip("0") in response.json()["visited_on"][0]  # names the date
    in_two_years = (datetime.date.today() + datetime.timedelta(days=800)).isoformat()
    for occurred_on in ("0163-04-28", in_two_years):
        response = client.post(
            EVENTS,
            {"household": a1.pk, "kind": "birth", "occurred_on": occurred_on},
            format="json",
        )
        assert response.status_code == 400, (occurred_on, response.content)
        assert "occurred_on" in response.json()
    assert not Visit.objects.exists() and not LifeEvent.objects.exists()
    ok = client.post(
        VISITS,
        {"household": a1.pk, "visitor": alice.staff.pk, "visited_on": "1900-01-01", "notes": "x"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
