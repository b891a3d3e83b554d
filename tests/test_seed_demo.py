import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from grids.demo import SCALES, tree_rows
from grids.integrity import check_trees
from grids.models import Level, Node, Role
from grids.selectors import coverage_gaps

pytestmark = pytest.mark.django_db


def test_street_scale_has_the_baiyang_shape():
    rows = tree_rows(SCALES["street"])
    counts = {level: sum(1 for r in rows if r.level == level) for level in Level.values}
    assert counts == {0: 1, 1: 25, 2: 237, 3: 1166, 4: 4664}
    addresses = {(r.compound, r.building, r.unit) for r in rows if r.level == Level.STAIRWELL}
    assert len(addresses) == 4664


def test_tiny_seed_is_deterministic_with_logins_and_gaps(capsys):
    call_command("seed_demo", "--scale", "tiny")
    out = capsys.readouterr().out
    assert "worker" in out and "demo-2026" in out
    assert check_trees()[1] == []
    names = list(Node.objects.order_by("lft").values_list("name", flat=True))
    User = get_user_model()
    worker = User.objects.get(username="worker")
    assert worker.check_password("demo-2026") and worker.groups.filter(name="社区工作者").exists()
    superuser = User.objects.get(username="admin")
    gaps = coverage_gaps(user=superuser)
    assert gaps, "the demo street keeps a few deliberate gaps"
    assert len(gaps) < Node.objects.filter(level__gte=Level.GRID).count() / 5
    assert (
        Node.objects.get(level=Level.STREET).assignments.filter(role=Role.STREET_OFFICIAL).count()
        == 3
    )

    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "tiny")
    call_command("seed_demo", "--if-empty")
    assert "worker" in capsys.readouterr().out
    assert list(Node.objects.order_by("lft").values_list("name", flat=True)) == names


def test_demo_roster_goes_through_the_real_import():
    from residents.models import Flat, Household, ImportBatch, Owner, OwnerKind, Person

    call_command("seed_demo", "--scale", "tiny")
    persons = Person.objects.count()
    assert 100 <= persons <= 140
    assert Household.objects.count() >= 40
    assert set(ImportBatch.objects.values_list("kind", "status")) == {
        (ImportBatch.Kind.REGISTER, ImportBatch.Status.APPLIED),
        (ImportBatch.Kind.OWNERS, ImportBatch.Status.APPLIED),
    }
    floating = Person.objects.filter(residence_type="floating").count() / persons
    rented = Flat.objects.filter(housing_status="rented").count() / Flat.objects.count()
    assert 0.15 < floating < 0.45 and 0.1 < rented < 0.35
    # 一房多户: some rented flats hold a second, tenant household.
    shared = Flat.objects.annotate(n=Count("households")).filter(n__gt=1)
    assert shared.exists() and not shared.exclude(housing_status="rented").exists()
    # The owners' roll: every flat has an owner; most live there, a landlord owns two,
    # the developer holds flats nobody lives in yet.
    assert not Flat.objects.filter(ownerships__isnull=True).exists()
    certified = Owner.objects.filter(kind=OwnerKind.PERSON, certificate__isnull=False)
    assert certified.filter(person__isnull=False).count() > certified.count() / 2
    assert Owner.objects.annotate(n=Count("ownerships")).filter(n__gt=1).exists()
    developer = Owner.objects.get(kind=OwnerKind.ORGANISATION)
    held = Flat.objects.filter(ownerships__owner=developer)
    assert set(held.values_list("delivery", flat=True)) == {"unsold", "sold_undelivered"}
    assert not held.filter(households__isnull=False).exists()
    assert Person.objects.filter(tags__isnull=False).exists()


def test_demo_matters_are_made_through_the_services():
    from deliberation.models import Matter, Phase
    from deliberation.selectors import progress

    call_command("seed_demo", "--scale", "tiny")
    matters = {m.title: m for m in Matter.objects.all()}
    election = matters["选举第二届业主委员会"]
    assert election.phase == Phase.FINISHED
    assert set(election.publications.values_list("what", flat=True)) == {
        "resolution",
        "implementation",
    }
    assert election.publications.get(what="resolution").totals["passed"] is True
    water = matters["二次供水设施改造"]
    assert (water.phase, progress(water)) == (Phase.IMPLEMENTING, 60)
    lift = matters["加装电梯"]
    vote = lift.votes.get()
    assert vote.is_open and 0 < vote.ballots.count() < vote.total_heads
    assert lift.node.level == Level.STAIRWELL
    assert matters["社区文化家园活动室改造"].item is None


def test_demo_micro_projects_are_at_every_step():
    from microprojects.models import Idea, Project

    call_command("seed_demo", "--scale", "tiny")
    statuses = dict(Project.objects.values_list("title", "status"))
    assert statuses == {"楼道口加装晾衣架": "published", "增设电动自行车充电桩": "underway"}
    assert Project.objects.get(title="楼道口加装晾衣架").ratings.count() == 13
    assert set(Idea.objects.values_list("status", flat=True)) == {"open", "adopted", "declined"}
