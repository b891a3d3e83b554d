"""Every write to a matter's deliberations: creating it, recording each of the five
stages in order, returning to an earlier one, and the two publications.

The order is the law of the matter: only the stage it waits for can be
recorded (another one is a TransitionRefused, the API's 409), a stage that did
not pass stops the matter, and only a return — with its reason, logged —
goes back. The owners' assembly (the last stage) of an owners' matter is
recorded from its closed vote's tally, never against it (voting.py holds the
vote). Implementation, milestones and objections are in implementation.py.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.refusals import TransitionRefused
from deliberation import access, selectors, voting
from deliberation.models import (
    STAGES,
    Action,
    Matter,
    MilestoneStatus,
    Outcome,
    Phase,
    Publication,
    Stage,
    StageRecord,
    What,
)
from grids.models import Level, Node

# An owners' matter is decided by the owners of a compound (a grid or micro-grid) or of
# one stairwell (a lift); a community affair may be any unit's from the community down.
LOWEST_LEVEL_FOR_OWNERS = Level.GRID
LOWEST_LEVEL_FOR_AFFAIRS = Level.COMMUNITY


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


@transaction.atomic
def create_matter(
    *,
    user: Any,
    title: str,
    node: Node,
    item: int | None,
    description: str = "",
    proposed_by: str = "",
    budget: Any = None,
) -> Matter:
    """A matter waiting for its first deliberation (the owners' suggestion)."""
    access.require(user, access.ADD, node)
    lowest = LOWEST_LEVEL_FOR_AFFAIRS if item is None else LOWEST_LEVEL_FOR_OWNERS
    if node.level < lowest:
        raise ValidationError(
            {
                "node": _(
                    "An owners' matter belongs to a compound's grid, micro-grid or stairwell."
                )
                if item is not None
                else _("A community affair belongs to a community or a unit under it.")
            }
        )
    matter = Matter(
        title=title.strip(),
        description=description.strip(),
        node=node,
        item=item,
        proposed_by=proposed_by.strip(),
        budget=budget,
        created_by=user,
    )
    matter.full_clean()
    matter.save()
    access.log(matter, user=user, action=Action.CREATED, to_stage=matter.stage)
    return matter


@transaction.atomic
def advance(
    *,
    user: Any,
    matter: Matter,
    outcome: str,
    held_on: datetime.date,
    participants: str = "",
    minutes: str = "",
    stage: str | None = None,
) -> Matter:
    """Record the deliberation the matter waits for and move on: to the next stage when it
    passed, to RESOLVED after the assembly, to STOPPED when it did not pass.

    `stage`, when given, is the stage the caller means to record: anything but the one
    the matter waits for (an earlier one again, or one skipped ahead) is refused.
    """
    matter = access.locked(user, access.CHANGE, matter)
    if matter.phase != Phase.DELIBERATING:
        raise TransitionRefused(
            _("The matter is no longer being deliberated (%(phase)s); return it to a stage first.")
            % {"phase": matter.get_phase_display()}
        )
    if stage is not None and stage != matter.stage:
        raise TransitionRefused(
            _(
                "The matter waits for “%(current)s”: “%(asked)s” cannot be recorded now."
                " The five deliberations are recorded in order, none skipped."
            )
            % {"current": stage_label(matter.stage), "asked": stage_label(stage)}
        )
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose passed, not passed or passed as amended.")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The date of a deliberation cannot be in the future.")})
    earlier = selectors.live_records(matter)
    if earlier and held_on < max(r.held_on for r in earlier.values()):
        raise ValidationError(
            {"held_on": _("A deliberation cannot be dated before the one it follows.")}
        )
    if matter.stage == Stage.RESOLVE and matter.is_owners_matter:
        outcome = _assembly_outcome(matter, outcome)
    record = StageRecord(
        matter=matter,
        stage=matter.stage,
        held_on=held_on,
        participants=participants.strip(),
        minutes=minutes.strip(),
        outcome=outcome,
        recorded_by=user,
    )
    record.full_clean()
    record.save()
    recorded = matter.stage
    if outcome == Outcome.FAILED:
        matter.phase = Phase.STOPPED
    elif recorded == STAGES[-1]:
        matter.phase = Phase.RESOLVED
    else:
        matter.stage = STAGES[STAGES.index(recorded) + 1]
    matter.save(update_fields=["stage", "phase"])
    access.log(
        matter,
        user=user,
        action=Action.RECORDED,
        from_stage=recorded,
        to_stage=matter.stage,
        note=record.get_outcome_display(),
    )
    return matter


def _assembly_outcome(matter: Matter, outcome: str) -> str:
    """The assembly's outcome is its closed vote's: the tally decides, not the clerk."""
    vote = voting.live_vote(matter)
    if vote is None or vote.is_open:
        raise TransitionRefused(
            _("The owners' assembly is recorded once its vote has been opened and closed.")
        )
    tallied = Outcome.PASSED if voting.tally_of(vote).passed else Outcome.FAILED
    if outcome != tallied:
        raise TransitionRefused(
            _("The vote's tally says “%(tallied)s”; the assembly is recorded as the tally decided.")
            % {"tallied": Outcome(tallied).label}
        )
    return tallied


@transaction.atomic
def return_to(*, user: Any, matter: Matter, to_stage: str, reason: str) -> Matter:
    """Send the matter back to an earlier stage (or, once stopped or resolved, to the stage
    itself, to hold it again). The records from `to_stage` on and the vote are kept as
    superseded; the reason is logged. Refused once the resolution is published."""
    matter = access.locked(user, access.CHANGE, matter)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the matter goes back.")})
    if to_stage not in STAGES:
        raise ValidationError({"to_stage": _("Choose one of the five stages.")})
    if matter.phase in (Phase.IMPLEMENTING, Phase.FINISHED) or matter.publications.exists():
        raise TransitionRefused(_("The resolution has been published: the matter cannot go back."))
    current = STAGES.index(matter.stage)
    target = STAGES.index(to_stage)
    # A stopped or resolved matter has been through its current stage: it may hold it again.
    latest = current if matter.phase != Phase.DELIBERATING else current - 1
    if target > latest:
        raise TransitionRefused(
            _("A matter goes back to an earlier stage, never ahead: it waits for “%(current)s”.")
            % {"current": stage_label(matter.stage)}
        )
    now = timezone.now()
    matter.records.filter(superseded_at__isnull=True, stage__in=STAGES[target:]).update(
        superseded_at=now
    )
    voting.supersede_vote(matter, at=now)
    from_stage = matter.stage
    matter.stage, matter.phase = to_stage, Phase.DELIBERATING
    matter.save(update_fields=["stage", "phase"])
    access.log(
        matter,
        user=user,
        action=Action.RETURNED,
        from_stage=from_stage,
        to_stage=to_stage,
        note=reason.strip(),
    )
    return matter


@transaction.atomic
def publish(*, user: Any, matter: Matter, what: str, text: str = "") -> Publication:
    """决议公开 or 实施结果公开: the explicit step before anything of the matter is public.

    The resolution, once the matter is resolved (or stopped by its assembly's vote),
    with the tally's totals and a publicity period for objections; the implementation
    result once that period is over, every milestone done and the final report written
    — which finishes the matter.
    """
    matter = access.locked(user, access.PUBLISH, matter)
    if what == What.RESOLUTION:
        publication = _resolution(user=user, matter=matter, text=text)
    elif what == What.IMPLEMENTATION:
        publication = _implementation(user=user, matter=matter, text=text)
    else:
        raise ValidationError({"what": _("Choose the resolution or the implementation result.")})
    access.log(matter, user=user, action=Action.PUBLISHED, note=publication.get_what_display())
    return publication


def _resolution(*, user: Any, matter: Matter, text: str) -> Publication:
    failed_assembly = matter.phase == Phase.STOPPED and matter.stage == Stage.RESOLVE
    if matter.phase != Phase.RESOLVED and not failed_assembly:
        raise TransitionRefused(
            _("Only a resolved matter, or one voted down, has a resolution to publish.")
        )
    vote = voting.live_vote(matter)
    totals = voting.published_totals(voting.tally_of(vote)) if vote is not None else {}
    publication = Publication(
        matter=matter,
        what=What.RESOLUTION,
        text=text.strip() or matter.title,
        totals=totals,
        published_by=user,
        publicity_until=timezone.localdate()
        + datetime.timedelta(days=settings.DELIBERATION_PUBLICITY_DAYS),
    )
    publication.full_clean()
    publication.save()
    # A matter voted down has nothing to implement: publishing its result ends it.
    matter.phase = Phase.FINISHED if failed_assembly else Phase.IMPLEMENTING
    matter.save(update_fields=["phase"])
    return publication


def _implementation(*, user: Any, matter: Matter, text: str) -> Publication:
    if matter.phase != Phase.IMPLEMENTING:
        raise TransitionRefused(_("The implementation result follows the published resolution."))
    resolution = matter.publications.get(what=What.RESOLUTION)
    assert resolution.publicity_until is not None
    if timezone.localdate() <= resolution.publicity_until:
        raise TransitionRefused(
            _("The resolution's publicity period runs until %(date)s.")
            % {"date": resolution.publicity_until.isoformat()}
        )
    milestones = list(matter.milestones.all())
    if not milestones or any(m.status != MilestoneStatus.DONE for m in milestones):
        raise TransitionRefused(_("Every milestone must be done before the result is published."))
    if not matter.final_report.strip():
        raise TransitionRefused(_("Write the final report before the result is published."))
    publication = Publication(
        matter=matter,
        what=What.IMPLEMENTATION,
        text=text.strip() or matter.final_report,
        totals={"budget": _decimal_text(matter.budget), "spent": _decimal_text(matter.spent)},
        published_by=user,
    )
    publication.full_clean()
    publication.save()
    matter.phase = Phase.FINISHED
    matter.save(update_fields=["phase"])
    return publication


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(value)
