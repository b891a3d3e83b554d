"""The owners' assembly vote: opening it freezes the electorate, ballots are entered
(a changed ballot supersedes the old one, which stays), closing makes them final,
and the tally applies art. 278 (tally.py) to the live ballots in exact numbers.

Every write locks the matter's row (access.locked), so a ballot entered while
someone closes the vote lands before the close or is refused after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.refusals import TransitionRefused
from deliberation import access
from deliberation.models import (
    Action,
    Ballot,
    Choice,
    Matter,
    Phase,
    Stage,
    Vote,
    Voter,
)
from deliberation.tally import Counts, Tally, fraction_text
from residents import owners


def live_vote(matter: Matter) -> Vote | None:
    return matter.votes.filter(superseded_at__isnull=True).first()


def supersede_vote(matter: Matter, *, at: Any) -> None:
    """A return past the assembly: its vote is kept, no longer counted."""
    matter.votes.filter(superseded_at__isnull=True).update(superseded_at=at)


@transaction.atomic
def open_vote(*, user: Any, matter: Matter) -> Vote:
    """Freeze the electorate under the matter's node as the roll has it now: each head
    with its owners, flats and summed area (residents.owners.voters)."""
    matter = access.locked(user, access.CHANGE, matter)
    if not matter.is_owners_matter:
        raise TransitionRefused(_("A community affair is not put to the owners' vote."))
    if matter.phase != Phase.DELIBERATING or matter.stage != Stage.RESOLVE:
        raise TransitionRefused(
            _("The vote opens when the matter reaches the owners' assembly, after the review.")
        )
    if live_vote(matter) is not None:
        raise TransitionRefused(_("The matter's vote has been opened already."))
    heads = owners.voters(user, matter.node)
    if not heads:
        raise ValidationError(
            _("No flat under %(node)s counts for the vote: enter the flats' areas or owners first.")
            % {"node": matter.node}
        )
    vote = Vote.objects.create(
        matter=matter,
        opened_by=user,
        total_flats=sum(len(h.flats) for h in heads),
        total_area=sum((h.area for h in heads), Decimal(0)),
        total_heads=len(heads),
    )
    Voter.objects.bulk_create(
        Voter(vote=vote, kind=h.kind, owners=list(h.owners), flats=list(h.flats), area=h.area)
        for h in heads
    )
    access.log(
        matter,
        user=user,
        action=Action.VOTE_OPENED,
        note=_("%(heads)s owners, %(area)s m²") % {"heads": len(heads), "area": vote.total_area},
    )
    return vote


def _open_vote_of(matter: Matter) -> Vote:
    vote = live_vote(matter)
    if vote is None:
        raise TransitionRefused(_("The matter has no vote open."))
    if not vote.is_open:
        raise TransitionRefused(_("The vote is closed: its ballots can no longer change."))
    return vote


@transaction.atomic
def cast_ballots(*, user: Any, matter: Matter, ballots: Sequence[tuple[int, str]]) -> int:
    """Enter ballots as (voter id, choice); a voter's earlier ballot is superseded when the
    choice differs (kept, as the log), left alone when it is the same. All or none: an
    unknown voter, a voter twice or a closed vote refuses the whole request. Returns
    how many ballots were written."""
    matter = access.locked(user, access.CHANGE, matter)
    vote = _open_vote_of(matter)
    if not ballots:
        raise ValidationError({"ballots": _("Enter at least one ballot.")})
    ids = [voter for voter, _choice in ballots]
    if len(set(ids)) != len(ids):
        raise ValidationError({"ballots": _("A voter appears twice among these ballots.")})
    for _voter, choice in ballots:
        if choice not in Choice.values:
            raise ValidationError({"choice": _("Choose for, against or abstain.")})
    known = set(vote.voters.filter(pk__in=ids).values_list("pk", flat=True))
    if unknown := [i for i in ids if i not in known]:
        raise ValidationError(
            {
                "voter": _("Not a voter of this vote: %(ids)s")
                % {"ids": ", ".join(map(str, unknown))}
            }
        )
    standing = dict(
        vote.ballots.filter(superseded_at__isnull=True, voter__in=ids).values_list(
            "voter_id", "choice"
        )
    )
    changed = [(voter, choice) for voter, choice in ballots if standing.get(voter) != choice]
    if changed:
        vote.ballots.filter(
            superseded_at__isnull=True, voter__in=[voter for voter, _choice in changed]
        ).update(superseded_at=timezone.now())
        Ballot.objects.bulk_create(
            Ballot(vote=vote, voter_id=voter, choice=choice, entered_by=user)
            for voter, choice in changed
        )
        access.log(
            matter, user=user, action=Action.BALLOTS, note=_("%(n)s ballots") % {"n": len(changed)}
        )
    return len(changed)


@transaction.atomic
def close_vote(*, user: Any, matter: Matter) -> Vote:
    """Close the vote: its ballots are final and its tally decides the assembly."""
    matter = access.locked(user, access.CHANGE, matter)
    vote = _open_vote_of(matter)
    vote.closed_at, vote.closed_by = timezone.now(), user
    vote.save(update_fields=["closed_at", "closed_by"])
    tally = tally_of(vote)
    access.log(
        matter,
        user=user,
        action=Action.VOTE_CLOSED,
        note=_("passed") if tally.passed else _("not passed"),
    )
    return vote


def tally_of(vote: Vote) -> Tally:
    """The tally of the live ballots, summed here in Decimals (one query): a database's
    SUM of a decimal column may pass through floats."""
    sums = {choice: Counts() for choice in Choice.values}
    live = vote.ballots.filter(superseded_at__isnull=True).values_list("choice", "voter__area")
    for choice, area in live:
        sums[choice] = sums[choice] + Counts(area, 1)
    assert vote.matter.item is not None
    return Tally(
        item=vote.matter.item,
        total=Counts(vote.total_area, vote.total_heads),
        yes=sums[Choice.YES],
        no=sums[Choice.NO],
        abstain=sums[Choice.ABSTAIN],
    )


def published_totals(tally: Tally) -> dict[str, Any]:
    """The numbers a tally sheet and the public page show: areas and heads, every ratio as
    an exact fraction — never who voted what."""
    part = tally.participating
    quorum_area, quorum_heads = tally.quorum
    consent_area, consent_heads = tally.consent
    return {
        "quorum_met": tally.quorum_met,
        "passed": tally.passed,
        "total_area": str(tally.total.area),
        "total_heads": tally.total.heads,
        "participating_area": str(part.area),
        "participating_heads": part.heads,
        "yes_area": str(tally.yes.area),
        "yes_heads": tally.yes.heads,
        "no_area": str(tally.no.area),
        "no_heads": tally.no.heads,
        "abstain_area": str(tally.abstain.area),
        "abstain_heads": tally.abstain.heads,
        "participating_area_ratio": fraction_text(quorum_area.share),
        "participating_heads_ratio": fraction_text(quorum_heads.share),
        "yes_area_ratio": fraction_text(consent_area.share),
        "yes_heads_ratio": fraction_text(consent_heads.share),
    }


def ballot_choices(vote: Vote, voter_ids: Iterable[int]) -> dict[int, str]:
    """The live choice of each of these voters who has one (the electorate's pages)."""
    return dict(
        vote.ballots.filter(superseded_at__isnull=True, voter__in=list(voter_ids)).values_list(
            "voter_id", "choice"
        )
    )
