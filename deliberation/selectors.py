"""Reads of matters, scoped: a user sees the matters of the nodes in their jurisdiction."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from deliberation.models import Matter, MatterFile, Phase, StageRecord, Voter, What
from grids.jurisdiction import scope_for, within
from grids.models import Node


def visible_matters(user: Any) -> QuerySet[Matter]:
    return Matter.objects.filter(scope_for(user).q("node__"))


def with_progress(matters: QuerySet[Matter]) -> QuerySet[Matter]:
    """Each matter with `milestone_count` and `progress_total` (the sum of its milestones'
    percentages), from which progress() takes the mean, in the same query."""
    return matters.annotate(
        milestone_count=Count("milestones"), progress_total=Sum("milestones__progress")
    )


def progress(matter: Matter) -> int:
    """The implementation's progress in whole percent: the milestones' mean, rounded down."""
    count = getattr(matter, "milestone_count", None)
    if count is None:
        figures = matter.milestones.aggregate(n=Count("pk"), total=Sum("progress"))
        count, total = figures["n"], figures["total"]
    else:
        total = getattr(matter, "progress_total", 0)
    return (total or 0) // count if count else 0


def in_publicity(matters: QuerySet[Matter]) -> QuerySet[Matter]:
    """Matters whose resolution is published and still open to objections."""
    today = timezone.localdate()
    return matters.filter(
        publications__what=What.RESOLUTION, publications__publicity_until__gte=today
    )


def publicity_over_unpublished(matters: QuerySet[Matter]) -> QuerySet[Matter]:
    """Overdue in publicity: the period is over and the implementation result is not out."""
    today = timezone.localdate()
    return matters.filter(
        phase=Phase.IMPLEMENTING,
        publications__what=What.RESOLUTION,
        publications__publicity_until__lt=today,
    )


def in_subtree(matters: QuerySet[Matter], node: Node) -> QuerySet[Matter]:
    return matters.filter(within(node, "node__"))


def published_matters() -> QuerySet[Matter]:
    """The matters whose resolution is published: the only ones the public pages show."""
    return Matter.objects.filter(publications__what=What.RESOLUTION)


def published_in(community: Node) -> QuerySet[Matter]:
    return published_matters().filter(within(community, "node__"))


def live_records(matter: Matter) -> dict[str, StageRecord]:
    """The matter's deliberations as they stand (none superseded), by stage, in order."""
    live = matter.records.filter(superseded_at__isnull=True).order_by("pk")
    return {record.stage: record for record in live}


def visible_voters(user: Any) -> QuerySet[Voter]:
    return Voter.objects.filter(vote__matter__in=visible_matters(user))


def visible_files(user: Any) -> QuerySet[MatterFile]:
    return MatterFile.objects.filter(matter__in=visible_matters(user))


def public_photos() -> QuerySet[MatterFile]:
    """The milestones' photos of the published matters: the only files anyone may see."""
    return MatterFile.objects.filter(
        milestone__isnull=False,
        content_type__startswith="image/",
        matter__in=published_matters().values("pk"),
    )
