"""The household roster: households in stairwells, the people in them, their events.

A household carries its street, community, grid and micro-grid as columns,
kept right by a receiver of grids.signals.subtree_moved, so scoping and
counting never walk the tree row by row.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import Level, Node, Staff


class HousingStatus(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")
    COMMERCIAL = "commercial", _("Commercial use")


# The household's columns for each ancestor level of its stairwell.
ANCESTOR_FIELDS: dict[int, str] = {
    Level.STREET: "street",
    Level.COMMUNITY: "community",
    Level.GRID: "grid",
    Level.MICRO_GRID: "micro_grid",
    Level.STAIRWELL: "stairwell",
}


def _node_fk(verbose_name: Any, level: int, *, db_index: bool = True) -> models.ForeignKey:
    return models.ForeignKey(
        Node,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": level},
        db_index=db_index,
        # Derived from the stairwell (which keeps its database constraint) and
        # kept right by the tree services; a second check per row and level
        # would only slow bulk imports.
        db_constraint=False,
    )


class FlatUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    OFFICE = "office", _("Office")
    GARAGE = "garage", _("Garage or storage")


class Delivery(models.TextChoices):
    """Whether the developer still holds the flat (it then counts among the developer's heads)."""

    DELIVERED = "delivered", _("Delivered")
    UNSOLD = "unsold", _("Unsold (developer's)")
    SOLD_UNDELIVERED = "sold_undelivered", _("Sold, not delivered")


class _InStairwell(models.Model):
    """A record placed in a stairwell that carries the stairwell's ancestors as columns."""

    stairwell: models.ForeignKey[Node, Node]
    stairwell_id: int

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.stairwell_id is not None and self.stairwell.level != Level.STAIRWELL:
            raise ValidationError({"stairwell": _("This belongs in a stairwell.")})

    def set_ancestors(self) -> None:
        """Copy the stairwell's ancestors into the record's columns."""
        for node in self.stairwell.get_ancestors():
            setattr(self, ANCESTOR_FIELDS[node.level], node)


class Flat(_InStairwell):
    """A flat (房屋): one room of a stairwell, home to zero, one or several households."""

    # Indexed through flat_one_per_room (stairwell, room).
    stairwell = models.ForeignKey(
        Node,
        verbose_name=_("stairwell"),
        on_delete=models.PROTECT,
        related_name="flats",
        limit_choices_to={"level": Level.STAIRWELL},
        db_index=False,
    )
    street = _node_fk(_("street"), Level.STREET)
    # Indexed through flat_comm_status_idx (community, housing_status).
    community = _node_fk(_("community"), Level.COMMUNITY, db_index=False)
    grid = _node_fk(_("grid"), Level.GRID)
    micro_grid = _node_fk(_("micro-grid"), Level.MICRO_GRID)
    room = models.CharField(_("room"), max_length=20)
    use = models.CharField(
        _("use"), max_length=16, choices=FlatUse.choices, default=FlatUse.RESIDENTIAL
    )
    housing_status = models.CharField(
        _("housing status"),
        max_length=16,
        choices=HousingStatus.choices,
        default=HousingStatus.OWNER_OCCUPIED,
    )
    area = models.DecimalField(
        _("exclusive area (m²)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # The owner's name as older registers wrote it; the owners themselves are
    # Ownership rows (the owners' roll).
    owner = models.CharField(_("owner's name as registered"), max_length=50, blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=16, choices=Delivery.choices, default=Delivery.DELIVERED
    )
    history = HistoricalRecords(no_db_index=list(ANCESTOR_FIELDS.values()))

    class Meta:
        verbose_name = _("flat")
        verbose_name_plural = _("flats")
        constraints = [
            models.UniqueConstraint(fields=["stairwell", "room"], name="flat_one_per_room"),
        ]
        indexes = [
            models.Index(fields=["community", "housing_status"], name="flat_comm_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stairwell.compound}{self.stairwell.name}{self.room}"


class HouseholdKind(models.TextChoices):
    FAMILY = "family", _("Family household (家庭户)")
    # A dormitory of a campus or an enterprise: its members need no head.
    COLLECTIVE = "collective", _("Collective household (集体户)")


class Household(_InStairwell):
    """A household (户) living in a flat; several households may share one flat.

    The flat's stairwell and room are copied onto the household, like the
    ancestors, so lists sort, search and scope households without a join;
    the services keep them equal to the flat's.
    """

    flat = models.ForeignKey(
        Flat, verbose_name=_("flat"), on_delete=models.PROTECT, related_name="households"
    )
    # Indexed through household_stairwell_room_idx (stairwell, room).
    stairwell = models.ForeignKey(
        Node,
        verbose_name=_("stairwell"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Level.STAIRWELL},
        db_index=False,
    )
    street = _node_fk(_("street"), Level.STREET)
    community = _node_fk(_("community"), Level.COMMUNITY)
    grid = _node_fk(_("grid"), Level.GRID)
    micro_grid = _node_fk(_("micro-grid"), Level.MICRO_GRID)
    room = models.CharField(_("room"), max_length=20)
    number = models.CharField(_("household number"), max_length=30, blank=True)
    kind = models.CharField(
        _("household kind"),
        max_length=16,
        choices=HouseholdKind.choices,
        default=HouseholdKind.FAMILY,
    )
    # History is read per record (by id) and per import batch; indexes on the
    # copied foreign keys would only slow the bulk writes.
    history = HistoricalRecords(no_db_index=[*ANCESTOR_FIELDS.values(), "flat"])

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "number"],
                condition=~Q(number=""),
                name="household_number_unique_in_street",
            ),
        ]
        indexes = [
            models.Index(fields=["stairwell", "room"], name="household_stairwell_room_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stairwell.compound}{self.stairwell.name}{self.room}"

    def move_into(self, flat: Flat) -> None:
        """Live in `flat`: take its stairwell, room and ancestors."""
        self.flat = flat
        self.stairwell_id = flat.stairwell_id
        self.room = flat.room
        for field_name in ANCESTOR_FIELDS.values():
            if field_name != "stairwell":
                setattr(self, f"{field_name}_id", getattr(flat, f"{field_name}_id"))


class OwnerKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    ORGANISATION = "organisation", _("Organisation")


class Owner(models.Model):
    """An owner (业主) of one or more flats, as the owners' roll names them.

    The certificate is an ID number (GB 11643) for a natural person, personal
    data masked like residents' ID numbers, or an organisation's unified social
    credit code (GB 32100). `person` links an owner who is also a resident.
    """

    kind = models.CharField(
        _("kind"), max_length=16, choices=OwnerKind.choices, default=OwnerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=100)
    # Unique through owner_certificate_unique; NULL for owners the roll gives none.
    certificate = models.CharField(  # noqa: DJ001
        _("certificate number"), max_length=18, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    person = models.ForeignKey(
        "Person",
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ownerships_as_owner",
    )
    history = HistoricalRecords(no_db_index=["certificate", "person"])

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        constraints = [
            models.UniqueConstraint(fields=["certificate"], name="owner_certificate_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Ownership(models.Model):
    """An owner's title to a flat; several for co-owners (共有)."""

    flat = models.ForeignKey(
        Flat, verbose_name=_("flat"), on_delete=models.CASCADE, related_name="ownerships"
    )
    owner = models.ForeignKey(
        Owner, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="ownerships"
    )
    history = HistoricalRecords(no_db_index=["flat", "owner"])

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["flat", "owner"], name="ownership_once_per_flat"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.flat}"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Child-in-law")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other relative")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered (户籍)")
    FLOATING = "floating", _("Floating (流动)")
    OVERSEAS = "overseas", _("Overseas (境外)")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("CPC member")
    PROBATIONARY = "probationary", _("Probationary CPC member")
    LEAGUE_MEMBER = "league_member", _("Communist Youth League member")
    DEMOCRATIC_PARTY = "democratic_party", _("Democratic party member")
    MASSES = "masses", _("Masses")


class PartyKind(models.TextChoices):
    NONE = "", _("—")
    WORKPLACE = "workplace", _("At workplace (在职)")
    REGISTERED = "registered", _("Registered here (在册)")


class Tag(models.Model):
    """A special-group tag (独居老人, 低保…); the list is data, so it can grow."""

    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("special-group tag")
        verbose_name_plural = _("special-group tags")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=50)
    # Unique through person_id_number_unique: a constraint, not unique=True,
    # which on PostgreSQL adds a second (LIKE) index we never use. NULL, not
    # "", for people without one (境外), so the constraint allows many.
    id_number = models.CharField(  # noqa: DJ001
        _("ID number"), max_length=18, null=True, blank=True
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    # Where the person's hukou is (户籍地址): never where they live, which is their
    # household's flat; the two apart is 人户分离.
    registered_address = models.CharField(_("registered address"), max_length=200, blank=True)
    residence_type = models.CharField(
        _("residence type"),
        max_length=16,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    political_status = models.CharField(
        _("political status"),
        max_length=20,
        choices=PoliticalStatus.choices,
        default=PoliticalStatus.MASSES,
    )
    party_kind = models.CharField(
        _("party membership kind"), max_length=16, choices=PartyKind.choices, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("special groups"), blank=True)
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[tags], no_db_index=["id_number", "household"])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="person_one_head_per_household",
            ),
            models.UniqueConstraint(fields=["id_number"], name="person_id_number_unique"),
        ]
        indexes = [models.Index(fields=["phone"], name="person_phone_idx")]

    def __str__(self) -> str:
        return self.name


EARLIEST_RECORDED_DATE = datetime.date(1900, 1, 1)


def _validate_date_between(value: datetime.date, latest: datetime.date) -> None:
    if value < EARLIEST_RECORDED_DATE:
        raise ValidationError(
            _("The date %(date)s is too early; dates from 1900 on are accepted."),
            code="date_too_early",
            params={"date": value.isoformat()},
        )
    if value > latest:
        raise ValidationError(
            _("The date %(date)s is too far in the future."),
            code="date_in_future",
            params={"date": value.isoformat()},
        )


def validate_past_date(value: datetime.date) -> None:
    """A date of something that has happened (a visit): since 1900, not after today."""
    _validate_date_between(value, timezone.localdate())


def validate_event_date(value: datetime.date) -> None:
    """A life event's date: since 1900, and up to a year ahead, as weddings are reported before."""
    _validate_date_between(value, timezone.localdate() + datetime.timedelta(days=366))


class LifeEventKind(models.TextChoices):
    BIRTH = "birth", _("Birth")
    MARRIAGE = "marriage", _("Marriage")
    DEATH = "death", _("Death")
    MOVE_IN = "move_in", _("Moving in")
    MOVE_OUT = "move_out", _("Moving out")


class LifeEvent(models.Model):
    """喜事丧事 and moves, per household."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="events"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LifeEventKind.choices)
    occurred_on = models.DateField(_("date"), validators=[validate_event_date])
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        indexes = [models.Index(fields=["occurred_on"], name="lifeevent_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class Visit(models.Model):
    """走访 / 民情日记."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visits"
    )
    visitor = models.ForeignKey(
        Staff, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"), validators=[validate_past_date])
    notes = models.TextField(_("notes"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.visitor} {self.visited_on}"


class ImportBatch(models.Model):
    """One register import: who, when, which file, what it did, and what went wrong."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Uploaded, waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, awaiting confirmation")
        REJECTED = "rejected", _("Has errors")
        QUEUED = "queued", _("Confirmed, waiting to be written")
        APPLYING = "applying", _("Writing")
        APPLIED = "applied", _("Imported")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    # Which status may follow which; every change is logged as an ImportBatchEvent.
    PIPELINE: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.CHECKING, Status.FAILED}),
        # A synchronous import (command, API) checks and writes in one pass.
        # CHECKING and APPLYING may start over: a worker stopped cold (Ctrl-C,
        # a deploy) hands its job back to the queue, and the redelivered job
        # finds the batch where the stopped one left it. Nothing is written
        # until a step's end claims the next status, which only one can.
        Status.CHECKING: frozenset(
            {Status.CHECKING, Status.CHECKED, Status.REJECTED, Status.APPLIED, Status.FAILED}
        ),
        Status.CHECKED: frozenset({Status.QUEUED}),
        Status.REJECTED: frozenset({Status.QUEUED}),
        Status.QUEUED: frozenset({Status.APPLYING, Status.FAILED}),
        Status.APPLYING: frozenset(
            {Status.APPLYING, Status.APPLIED, Status.REJECTED, Status.FAILED}
        ),
        Status.APPLIED: frozenset({Status.UNDONE}),
        Status.FAILED: frozenset(),
        Status.UNDONE: frozenset(),
    }
    # Uploading, confirming and undoing an import (services.require_import_permission).
    IMPORT_PERMISSION = "residents.add_importbatch"

    class Kind(models.TextChoices):
        """Which list the file is (residents.import_definitions holds each one's definition)."""

        REGISTER = "register", _("Household register")
        OWNERS = "owners", _("Owners' roll")

    # A job is still on these: it will read the uploaded file and move the batch on.
    WORKING: frozenset[str] = frozenset(
        {Status.PENDING, Status.CHECKING, Status.QUEUED, Status.APPLYING}
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The smallest node holding every household the file resolved to: who
    # governs it sees the batch, not only the user who uploaded it.
    area = models.ForeignKey(
        Node,
        verbose_name=_("area"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REGISTER)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    upload = models.BinaryField(_("uploaded file"), editable=False, default=bytes)
    # A register holds every ID number and phone in full: the file is deleted
    # after settings.IMPORT_UPLOAD_RETENTION_DAYS; the batch's record stays.
    upload_deleted_at = models.DateTimeField(_("uploaded file deleted at"), null=True, blank=True)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # The first register_import.PROBLEMS_KEPT problems; error_count counts them all,
    # so lists and progress polls never read the report itself.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # Moved on by every status change and progress report: a batch that stays
    # checking or writing with no sign of life had its worker die under it.
    touched_at = models.DateTimeField(_("last activity"), default=timezone.now)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def history_reason(self) -> str:
        """The change reason stamped on every history row this batch writes."""
        return f"import:{self.pk}"

    @property
    def undo_reason(self) -> str:
        """The change reason stamped on every history row undoing this batch writes."""
        return f"undo:{self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def changes_nothing(self) -> bool:
        """Checked without errors, and the records already say what the file says."""
        counts = ("households_created", "households_updated", "persons_created", "persons_updated")
        return (
            bool(self.summary) and not self.error_count and not any(self.summary[c] for c in counts)
        )

    @property
    def errors_not_listed(self) -> int:
        return max(self.error_count - len(self.errors), 0)


class ImportBatchEvent(models.Model):
    """A status change of an import batch: the django-oscar style change log."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=12, choices=ImportBatch.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=ImportBatch.Status.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("import status change")
        verbose_name_plural = _("import status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ExportJob(models.Model):
    """One export of the household or person list, written by a worker (residents.exports).

    A whole street's register takes tens of seconds to write; the browser
    follows the job on a status page instead of waiting on one request. What
    was asked is kept as the list's own query string and read again through
    the list when the job runs, for the user as they are then.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Exporting")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # Which state may follow which (the django-oscar style pipeline). A job that
    # lost its worker is failed by the sweeper, never restarted: the user asks again.
    PIPELINE: dict[str, frozenset[str]] = {
        State.QUEUED: frozenset({State.RUNNING, State.FAILED}),
        State.RUNNING: frozenset({State.DONE, State.FAILED}),
        State.DONE: frozenset({State.EXPIRED}),
        State.FAILED: frozenset(),
        State.EXPIRED: frozenset(),
    }
    WORKING: frozenset[str] = frozenset({State.QUEUED, State.RUNNING})

    class Source(models.TextChoices):
        HOUSEHOLDS = "residents.household", _("households")
        PERSONS = "residents.person", _("persons")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    source = models.CharField(_("list"), max_length=40, choices=Source.choices)
    # The change list's filters and search, as its query string.
    query = models.TextField(_("filters and search"), blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # Headers and messages in the language the user asked in.
    language = models.CharField(_("language"), max_length=15, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    # Decided when the job runs, by the user's permission at that moment.
    masked = models.BooleanField(_("masked"), default=True)
    content = models.BinaryField(_("file"), editable=False, default=bytes)
    # The exported records, for the access log written at each download.
    object_ids = models.TextField(_("records"), blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Moved on by every state change and progress report: a job that stays
    # queued or running with no sign of life lost its worker.
    touched_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # The file holds personal data: deleted after this, the record stays.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.file_format} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


# Said by the constraint below and by residents.transfers, which checks first.
OPEN_TRANSFER_MESSAGE = _("A transfer request for this person is already awaiting a decision.")


class TransferRequest(models.Model):
    """A transfer request (迁入申请): a person registered in a household outside the
    requester's jurisdiction is to move into a household inside it.

    The side holding the person's household accepts (the person moves, keeping
    their history) or declines; someone over both moves them at once, recorded
    as an accepted request. The requester's side sees only what it typed, the
    target and the status (REQUESTER_SEES): where the person lives is the other
    side's to tell.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a decision")
        ACCEPTED = "accepted", _("Accepted, moved in")
        DECLINED = "declined", _("Declined by the person's community")
        WITHDRAWN = "withdrawn", _("Withdrawn by the requester")

    # Which status may follow which, each change claimed with UPDATE … WHERE
    # status = old and logged as a TransferRequestEvent.
    PIPELINE: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN}),
        Status.ACCEPTED: frozenset(),
        Status.DECLINED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }
    # Asking for a person and withdrawing the request (the target's side);
    # accepting and declining, or moving at once (the person's side).
    REQUEST_PERMISSION = "residents.add_transferrequest"
    DECIDE_PERMISSION = "residents.change_transferrequest"
    VIEW_PERMISSION = "residents.view_transferrequest"
    # All the requester's side is ever shown of a request.
    REQUESTER_SEES: tuple[str, ...] = (
        "given_name",
        "given_id_number",
        "relation",
        "target",
        "status",
        "note",
        "decline_reason",
        "created_at",
        "decided_at",
    )

    # A deleted person or household takes their requests along: nothing is
    # left to move, and a restored person is asked for again.
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="transfer_requests",
    )
    target = models.ForeignKey(
        Household,
        verbose_name=_("moving into"),
        on_delete=models.CASCADE,
        related_name="transfer_requests",
    )
    # The person's stairwell when asked: the decided requests stay in the log of
    # the jurisdiction the person left, at whatever level it is held.
    source_stairwell = models.ForeignKey(
        Node,
        verbose_name=_("moving from"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.STAIRWELL},
    )
    given_name = models.CharField(_("name given"), max_length=50)
    given_id_number = models.CharField(_("ID number given"), max_length=18)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="pending"),
                name="transfer_one_open_per_person",
                violation_error_message=OPEN_TRANSFER_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} → {self.target}"


class TransferRequestEvent(models.Model):
    """A status change of a transfer request: the change log, as ImportBatchEvent."""

    transfer = models.ForeignKey(TransferRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=12, choices=TransferRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=TransferRequest.Status.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer status change")
        verbose_name_plural = _("transfer status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
