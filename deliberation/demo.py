"""Demo matters for `seed_demo`, made through the services by the demo community worker,
on the demo street's owners' roll: the first compound's owners' committee election
finished and both publications out; the second compound's secondary water supply
renovation resolved and under implementation at 60%; a lift for one stairwell of the
first compound in its vote, some ballots in; and a community affair being deliberated.

The finished matter's dates are moved back as a whole (its records, publication and
log), as the publicity period must have passed before its result could be published.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from deliberation import implementation, services, voting
from deliberation.models import STAGES, Matter, MatterEvent, Publication, Vote, What
from grids.models import Level, Node

PASSED = "passed"
MINUTES = {
    "suggest": "业主代表联名提出建议，收集意见 40 余条。",
    "propose": "业委会会议讨论形成提议方案。",
    "consult": "小区党支部召集业委会、物业、业主代表商议。",
    "review": "社区党委会审议，同意提交业主大会表决。",
}


def seed_matters(*, street: Node) -> int:
    worker = get_user_model().objects.filter(username="worker").first()
    if worker is None:
        return 0
    community = street.get_children().order_by("lft").first()
    grids = list(Node.objects.filter(parent=community, level=Level.GRID).order_by("lft")[:2])
    if len(grids) < 2:
        return 0
    rng = random.Random(278)
    today = timezone.localdate()
    election = _through_the_assembly(
        worker, grids[0], "选举第二届业主委员会", 3, rng, start=today - datetime.timedelta(60)
    )
    _finish(worker, election)
    water = _through_the_assembly(
        worker, grids[1], "二次供水设施改造", 5, rng, start=today - datetime.timedelta(30)
    )
    implementation.update_implementation(
        user=worker, matter=water, budget=Decimal("1200000.00"), spent=Decimal("516000.00")
    )
    services.publish(user=worker, matter=water, what=What.RESOLUTION)
    for title, days, progress in [
        ("方案设计与招标", -20, 100),
        ("水箱及管网更换", 10, 80),
        ("验收与水质检测", 30, 0),
    ]:
        milestone = implementation.add_milestone(
            user=worker, matter=water, title=title, planned_on=today + datetime.timedelta(days)
        )
        if progress:
            implementation.update_milestone(user=worker, milestone=milestone, progress=progress)
    stairwell = grids[0].get_descendants().filter(level=Level.STAIRWELL).order_by("lft").first()
    assert stairwell is not None
    lift = _to_the_assembly(worker, stairwell, "加装电梯", 8, start=today - datetime.timedelta(14))
    voting.open_vote(user=worker, matter=lift)
    vote = voting.live_vote(lift)
    assert vote is not None
    some = [v.pk for v in vote.voters.order_by("pk")][::2]
    voting.cast_ballots(user=worker, matter=lift, ballots=[(pk, "yes") for pk in some])
    services.create_matter(
        user=worker,
        title="社区文化家园活动室改造",
        node=community,
        item=None,
        description="居民提出增设老年活动空间。",
    )
    return Matter.objects.count()


def _to_the_assembly(
    user: Any, node: Node, title: str, item: int, *, start: datetime.date
) -> Matter:
    matter = services.create_matter(user=user, title=title, node=node, item=item)
    for day, stage in enumerate(STAGES[:-1]):
        matter = services.advance(
            user=user,
            matter=matter,
            outcome=PASSED,
            held_on=start + datetime.timedelta(days=day * 3),
            participants="业主代表、业委会成员、社区工作人员",
            minutes=MINUTES[stage],
        )
    return matter


def _through_the_assembly(
    user: Any, node: Node, title: str, item: int, rng: random.Random, *, start: datetime.date
) -> Matter:
    """To the assembly, then a vote most owners take part in and most approve."""
    matter = _to_the_assembly(user, node, title, item, start=start)
    vote = voting.open_vote(user=user, matter=matter)
    ballots = [
        (pk, "yes" if rng.random() < 0.85 else rng.choice(["no", "abstain"]))
        for pk in Vote.objects.get(pk=vote.pk).voters.values_list("pk", flat=True)
        if rng.random() < 0.9
    ]
    voting.cast_ballots(user=user, matter=matter, ballots=ballots)
    voting.close_vote(user=user, matter=matter)
    passed = voting.tally_of(vote).passed
    return services.advance(
        user=user,
        matter=matter,
        outcome=PASSED if passed else "failed",
        held_on=start + datetime.timedelta(days=15),
        participants="业主大会（书面征求意见）",
    )


def _finish(user: Any, matter: Matter) -> None:
    services.publish(user=user, matter=matter, what=What.RESOLUTION)
    milestone = implementation.add_milestone(
        user=user,
        matter=matter,
        title="选举结果报街道办事处备案",
        planned_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    implementation.update_milestone(user=user, milestone=milestone, status="done")
    implementation.update_implementation(
        user=user, matter=matter, final_report="第二届业主委员会 7 名委员当选，已备案。"
    )
    # The publicity period has passed: the whole matter moves back a month.
    back = datetime.timedelta(days=30)
    Publication.objects.filter(matter=matter).update(
        published_at=F("published_at") - back, publicity_until=F("publicity_until") - back
    )
    MatterEvent.objects.filter(matter=matter).update(at=F("at") - back)
    services.publish(user=user, matter=matter, what=What.IMPLEMENTATION)
