"""Matters decided by "五议两公开": five deliberations in a fixed order, the owners'
assembly vote (Civil Code art. 278) on a frozen electorate, and two publications.

A matter's `stage` is the deliberation it waits for; `phase` says whether it is
still being deliberated, stopped by a stage that did not pass, resolved and
awaiting its resolution's publication, being implemented, or finished (the
implementation result published). Every change is a MatterEvent row.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.files import StoredFile
from grids.models import Node


class Item(models.IntegerChoices):
    """The matters of Civil Code art. 278 (一)–(九); a matter with none is a community
    affair that the owners do not vote on."""

    RULES = 1, _("(1) Rules of procedure of the owners' assembly")
    STATUTE = 2, _("(2) Management statute")
    COMMITTEE = 3, _("(3) Electing or changing the owners' committee")
    MANAGER = 4, _("(4) Hiring or dismissing the property manager")
    FUND_USE = 5, _("(5) Using the maintenance fund")
    FUND_RAISE = 6, _("(6) Raising the maintenance fund")
    REBUILD = 7, _("(7) Rebuilding or renovating the buildings")
    COMMON_PARTS = 8, _("(8) Changing the use of common parts or running business on them")
    OTHER = 9, _("(9) Other major matters")


class Stage(models.TextChoices):
    """The five deliberations, in the only order they may happen."""

    SUGGEST = "suggest", _("Owners suggest")
    PROPOSE = "propose", _("Owners' committee proposes")
    CONSULT = "consult", _("Compound party branch consults")
    REVIEW = "review", _("Community party organisation reviews")
    RESOLVE = "resolve", _("Owners' assembly resolves")


STAGES: tuple[str, ...] = tuple(Stage.values)


class Phase(models.TextChoices):
    DELIBERATING = "deliberating", _("Being deliberated")
    STOPPED = "stopped", _("Stopped (a deliberation did not pass)")
    RESOLVED = "resolved", _("Resolved, resolution not yet published")
    IMPLEMENTING = "implementing", _("Resolution published, being implemented")
    FINISHED = "finished", _("Finished (implementation result published)")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")
    AMENDED = "amended", _("Passed as amended")


class Matter(models.Model):
    """A matter (议题) of the owners under `node` (a compound's grid or micro-grid, or one
    stairwell for a lift), or a community affair when `item` is empty."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    node = models.ForeignKey(
        Node, verbose_name=_("decided by the owners of"), on_delete=models.PROTECT
    )
    item = models.PositiveSmallIntegerField(
        _("Civil Code art. 278 item"), choices=Item.choices, null=True, blank=True
    )
    proposed_by = models.CharField(_("proposed by"), max_length=100, blank=True)
    stage = models.CharField(
        _("stage"), max_length=10, choices=Stage.choices, default=Stage.SUGGEST
    )
    phase = models.CharField(
        _("phase"), max_length=14, choices=Phase.choices, default=Phase.DELIBERATING
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    spent = models.DecimalField(
        _("spent (yuan)"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    final_report = models.TextField(_("final report"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        permissions = [("publish_matter", _("Can publish matters"))]
        indexes = [models.Index(fields=["phase", "stage"], name="matter_phase_stage_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_owners_matter(self) -> bool:
        return self.item is not None


class StageRecord(models.Model):
    """A deliberation as it happened. A return to an earlier stage keeps the records it
    undoes, marked superseded."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="records")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    held_on = models.DateField(_("date"))
    participants = models.TextField(_("participants"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deliberation record")
        verbose_name_plural = _("deliberation records")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "stage"],
                condition=Q(superseded_at__isnull=True),
                name="one_live_record_per_stage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.get_outcome_display()}"


class Action(models.TextChoices):
    CREATED = "created", _("Matter created")
    RECORDED = "recorded", _("Deliberation recorded")
    RETURNED = "returned", _("Returned to an earlier stage")
    VOTE_OPENED = "vote_opened", _("Vote opened")
    BALLOTS = "ballots", _("Ballots entered")
    VOTE_CLOSED = "vote_closed", _("Vote closed")
    PUBLISHED = "published", _("Published")
    OBJECTION = "objection", _("Objection recorded")
    MILESTONE = "milestone", _("Milestone changed")
    IMPLEMENTATION = "implementation", _("Spending or report changed")
    FILES = "files", _("Files added")


class MatterEvent(models.Model):
    """The matter's log: one row per change — who, when, what, and the reason."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_stage = models.CharField(_("from stage"), max_length=10, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=10, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("matter log entry")
        verbose_name_plural = _("matter log")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.action


class Vote(models.Model):
    """The owners' assembly vote on a matter, over the electorate frozen when it opened.
    A return past the assembly stage supersedes it; a new vote is opened afterwards."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="votes")
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    total_flats = models.PositiveIntegerField(_("flats"))
    total_area = models.DecimalField(
        _("total exclusive area (m²)"), max_digits=14, decimal_places=2
    )
    total_heads = models.PositiveIntegerField(_("owners (heads)"))

    class Meta:
        verbose_name = _("owners' vote")
        verbose_name_plural = _("owners' votes")
        constraints = [
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(superseded_at__isnull=True),
                name="one_live_vote_per_matter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class VoterKind(models.TextChoices):
    OWNERS = "owners", _("Owner or co-owners")
    DEVELOPER = "developer", _("Developer (unsold or undelivered flats)")
    FLAT = "flat", _("Flat with no owner on the roll")


class Voter(models.Model):
    """One head of a frozen electorate: an owner (with all their flats), co-owners of a
    flat together, the developer, or a flat the roll names no owner of.

    `owners` is a list of {"name", "certificate", "personal"} as the roll had them
    when the vote opened; `flats` the flats' addresses then.
    """

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="voters")
    kind = models.CharField(_("kind"), max_length=10, choices=VoterKind.choices)
    owners = models.JSONField(_("owners"), default=list)
    flats = models.JSONField(_("flats"), default=list)
    area = models.DecimalField(_("exclusive area (m²)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        ordering = ["pk"]

    def __str__(self) -> str:
        return "、".join(self.flats[:3])


class Choice(models.TextChoices):
    YES = "yes", _("For")
    NO = "no", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class Ballot(models.Model):
    """A voter's ballot. Changing it while the vote is open supersedes the old row, which
    stays as the log; a closed vote's ballots are never written again."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(Voter, on_delete=models.CASCADE, related_name="ballots")
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["entered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["voter"],
                condition=Q(superseded_at__isnull=True),
                name="one_live_ballot_per_voter",
            )
        ]

    def __str__(self) -> str:
        return self.get_choice_display()


class What(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution (决议公开)")
    IMPLEMENTATION = "implementation", _("Implementation result (实施结果公开)")


class Publication(models.Model):
    """One of the two publications; `totals` keeps the tally's numbers as published
    (areas and heads, never who voted what)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="publications")
    what = models.CharField(_("publication"), max_length=16, choices=What.choices)
    text = models.TextField(_("text"))
    totals = models.JSONField(_("tally totals"), default=dict, blank=True)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    publicity_until = models.DateField(_("publicity period ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["published_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "what"], name="one_publication_of_each")
        ]

    def __str__(self) -> str:
        return self.get_what_display()


class Objection(models.Model):
    """An objection received during the resolution's publicity period (公示期)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField(_("received on"))
    text = models.TextField(_("objection"))
    answer = models.TextField(_("answer"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["received_on", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Milestone(models.Model):
    """A step of the implementation; the matter's progress rolls up from these."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    planned_on = models.DateField(_("planned for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["planned_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="milestone_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return self.title


def _file_path(attachment: MatterFile, filename: str) -> str:
    # A random name: the uploader's file name stays in `name`.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    return f"matters/{attachment.matter_id}/{uuid.uuid4().hex}.{extension}"


class MatterFile(StoredFile):
    """A photo or PDF of a matter: of a deliberation (its minutes, a scan of the signed
    record) or of a milestone (the implementation's photos). Only a milestone's photos
    of a published matter are public; the rest is seen by staff over the matter."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="files")
    record = models.ForeignKey(
        StageRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    file = models.FileField(upload_to=_file_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("matter file")
        verbose_name_plural = _("matter files")
        ordering = ["uploaded_at", "pk"]
