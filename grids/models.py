"""The street tree, its ledger, and the staff who work on it.

The level of a node is its MPTT depth: street 0 … stairwell 4. There is no
second field to keep in step, so the level rules are rules about the parent.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey


class Level(models.IntegerChoices):
    STREET = 0, _("Street")
    COMMUNITY = 1, _("Community")
    GRID = 2, _("Grid")
    MICRO_GRID = 3, _("Micro-grid")
    STAIRWELL = 4, _("Stairwell")


# A community carries the 12-digit statistical code (6 county + 3 street +
# 3 community); each lower level appends its own sequence.
CODE_LENGTHS: dict[int, int] = {
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
    Level.MICRO_GRID: 17,
    Level.STAIRWELL: 20,
}


class Kind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    CAMPUS = "campus", _("Campus")
    ENTERPRISE = "enterprise", _("Enterprise")
    PARK = "park", _("Industrial park")
    COMMERCIAL = "commercial", _("Commercial building")
    MARKET = "market", _("Market")


digits_only = RegexValidator(r"^[0-9]+$", _("A code consists of digits only."))


def code_rule_errors(*, code: str, level: int, parent_code: str | None) -> list[str]:
    """Why `code` cannot stand at `level` under `parent_code`; empty when it can.

    Shared by the model, the importer and check_tree so the rule lives once.
    """
    errors: list[str] = []
    if not (code.isascii() and code.isdigit()):
        errors.append(str(_("A code consists of digits only.")))
    expected = CODE_LENGTHS.get(level)
    if expected is None:
        errors.append(str(_("The tree has no level below the stairwell.")))
    elif len(code) != expected:
        errors.append(
            str(
                _("A %(level)s code has %(n)d digits.")
                % {"level": Level(level).label, "n": expected}
            )
        )
    if parent_code is not None and not code.startswith(parent_code):
        errors.append(
            str(_("Code %(code)s does not begin with its parent's code %(parent)s."))
            % {"code": code, "parent": parent_code}
        )
    return errors


class Node(MPTTModel):
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[digits_only])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("grid kind"), max_length=16, choices=Kind.choices, default=Kind.RESIDENTIAL
    )
    compound = models.CharField(_("compound"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=20, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    exits = models.PositiveIntegerField(_("exits"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class MPTTMeta:
        order_insertion_by = ["code"]

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        # django-mptt adds this index to the model class but not to the migration
        # state, so no migration ever created it; declared here (same name, so mptt
        # does not add a second) and created by 0003. Lists in tree order walk it.
        indexes = [models.Index(fields=["tree_id", "lft"], name="grids_node_tree_id_lft_idx")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        """A stairwell with its compound (和达城3幢2单元): "3幢2单元" alone names dozens."""
        if (
            self.compound
            and self.level == Level.STAIRWELL
            and not self.name.startswith(self.compound)
        ):
            return f"{self.compound}{self.name}"
        return self.name

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)

    def clean(self) -> None:
        level = 0 if self.parent is None else self.parent.level + 1
        errors = code_rule_errors(
            code=self.code, level=level, parent_code=self.parent.code if self.parent else None
        )
        if errors:
            raise ValidationError({"code": errors})
        if self.compound and level < Level.GRID:
            raise ValidationError(
                {"compound": _("Only grids, micro-grids and stairwells name a compound.")}
            )
        if level != Level.STAIRWELL and (self.building or self.unit):
            raise ValidationError(_("Only stairwells have a building and a unit."))
        if level == Level.STAIRWELL and not (self.building and self.unit):
            raise ValidationError(_("A stairwell needs its building and unit."))


class SupplyItem(models.Model):
    """Emergency supplies (物资底数) kept at a node; rolled up over subtrees."""

    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="supplies"
    )
    item = models.CharField(_("item"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unit of measure"), max_length=20)
    location = models.CharField(_("stored at"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("emergency supply")
        verbose_name_plural = _("emergency supplies")

    def __str__(self) -> str:
        return f"{self.item} {self.quantity}{self.unit}"

    def clean(self) -> None:
        if self.quantity is not None and self.quantity < 0:
            raise ValidationError({"quantity": _("A quantity cannot be negative.")})


class PartyMembership(models.TextChoices):
    NONE = "", _("Not a party member")
    WORKPLACE = "workplace", _("Party member (在职)")
    REGISTERED = "registered", _("Party member (在册)")


class Affiliation(models.TextChoices):
    STREET_OFFICE = "street_office", _("Street office")
    COMMUNITY = "community", _("Community")
    POLICE = "police", _("Police station")
    PROPERTY = "property", _("Property management")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    CAMPUS_SECURITY = "campus_security", _("Campus security")
    ENTERPRISE = "enterprise", _("Enterprise")
    RESIDENT = "resident", _("Resident")
    OTHER = "other", _("Other")


class Staff(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
    )
    home_node = models.ForeignKey(
        Node,
        verbose_name=_("home unit"),
        on_delete=models.PROTECT,
        related_name="home_staff",
        help_text=_("The unit that keeps this person's record."),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9+\-]{5,20}$", _("Enter a valid phone number."))],
    )
    party_membership = models.CharField(
        _("party membership"), max_length=16, choices=PartyMembership.choices, blank=True
    )
    affiliation = models.CharField(
        _("affiliation"), max_length=20, choices=Affiliation.choices, default=Affiliation.RESIDENT
    )
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STREET_OFFICIAL = "street_official", _("Street official")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    FULL_TIME_GRID_WORKER = "full_time_grid_worker", _("Full-time grid worker")
    PART_TIME_GRID_WORKER = "part_time_grid_worker", _("Part-time grid worker")
    MICRO_GRID_LEADER = "micro_grid_leader", _("Micro-grid leader")
    MICRO_GRID_MEMBER = "micro_grid_member", _("Micro-grid member")
    STAIRWELL_LEADER = "stairwell_leader", _("Stairwell leader")
    INFORMATION_OFFICER = "information_officer", _("Information officer")
    LOGISTICS_OFFICER = "logistics_officer", _("Logistics officer")
    SECOND_BUILDING_LEADER = "second_building_leader", _("Second building leader")
    RESERVE = "reserve", _("Reserve")
    VOLUNTEER = "volunteer", _("Volunteer")


ALL_LEVELS = frozenset(Level.values)
ROLE_LEVELS: dict[str, frozenset[int]] = {
    Role.STREET_OFFICIAL: frozenset({Level.STREET}),
    Role.COMMUNITY_SECRETARY: frozenset({Level.COMMUNITY}),
    Role.COMMUNITY_WORKER: frozenset({Level.COMMUNITY}),
    Role.GRID_LEADER: frozenset({Level.GRID}),
    Role.FULL_TIME_GRID_WORKER: frozenset({Level.GRID}),
    Role.PART_TIME_GRID_WORKER: frozenset({Level.GRID}),
    Role.MICRO_GRID_LEADER: frozenset({Level.MICRO_GRID}),
    Role.MICRO_GRID_MEMBER: frozenset({Level.MICRO_GRID}),
    Role.STAIRWELL_LEADER: frozenset({Level.STAIRWELL}),
    Role.INFORMATION_OFFICER: frozenset({Level.STAIRWELL}),
    Role.LOGISTICS_OFFICER: frozenset({Level.STAIRWELL}),
    Role.SECOND_BUILDING_LEADER: frozenset({Level.STAIRWELL}),
    Role.RESERVE: ALL_LEVELS,
    Role.VOLUNTEER: ALL_LEVELS,
}
# "一长二员": every stairwell needs all three.
STAIRWELL_TRIO = (Role.STAIRWELL_LEADER, Role.INFORMATION_OFFICER, Role.LOGISTICS_OFFICER)


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def current(self, on: datetime.date | None = None) -> AssignmentQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)


class Assignment(models.Model):
    """A staff member holding a role at a node for a period (history is kept)."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="assignments"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["node", "role"], name="assignment_node_role_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="assignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.node_id is not None and self.role and self.node.level not in ROLE_LEVELS[self.role]:
            raise ValidationError(
                {
                    "role": _("A %(role)s cannot serve at a %(level)s.")
                    % {"role": self.get_role_display(), "level": self.node.level_label}
                }
            )
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("An assignment cannot end before it starts.")})


class AccessLog(models.Model):
    """Every unmasked view and every export of personal data."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed in full")
        EXPORT = "export", _("Exported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    what = models.CharField(_("what"), max_length=200)
    object_ids = models.TextField(_("records"), blank=True)
    count = models.PositiveIntegerField(_("number of records"), default=0)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        ordering = ["-at"]
        # Held for a jurisdiction: querysets are scoped, so a user unmasks only
        # the people and staff in their own part of the tree.
        permissions = [("view_personal_data", _("Can see full ID numbers and phones"))]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.what}"
