"""举手制 micro-projects (Luodian): residents' ideas gathered per community (意见征集),
hands raised for them (举手立项), the committee adopting one as a project funded from
the special fund, residents taking part (居民全过程参与) with progress updates, and the
finished project published and rated (公示评价).

Phones are personal data: masked unless the viewer may see them, never on a public
page. One hand per phone per idea, one sign-up and one rating per phone per project.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.files import StoredFile
from grids.models import Node


class IdeaSource(models.TextChoices):
    PUBLIC = "public", _("Public page")
    BOX = "box", _("Suggestion box (entered by staff)")


class IdeaStatus(models.TextChoices):
    OPEN = "open", _("Gathering support")
    ADOPTED = "adopted", _("Adopted as a project")
    DECLINED = "declined", _("Not adopted")


class Idea(models.Model):
    community = models.ForeignKey(
        Node, verbose_name=_("community"), on_delete=models.PROTECT, related_name="ideas"
    )
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("idea"), max_length=2000)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    source = models.CharField(_("source"), max_length=8, choices=IdeaSource.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=IdeaStatus.choices, default=IdeaStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        ordering = ["-created_at", "-pk"]
        permissions = [("adopt_idea", _("Can adopt ideas as projects"))]

    def __str__(self) -> str:
        return self.title


class HandKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    PARTY_BRANCH = "party_branch", _("Party branch")


class Hand(models.Model):
    """A raised hand for an idea: a resident's, or a party branch's (named)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="hands")
    kind = models.CharField(_("kind"), max_length=12, choices=HandKind.choices)
    phone = models.CharField(_("phone"), max_length=20)
    branch = models.CharField(_("party branch"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("raised hand")
        verbose_name_plural = _("raised hands")
        constraints = [
            models.UniqueConstraint(fields=["idea", "phone"], name="one_hand_per_phone_per_idea")
        ]

    def __str__(self) -> str:
        return self.branch or self.get_kind_display()


class ProjectStatus(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    UNDERWAY = "underway", _("Underway")
    PUBLISHED = "published", _("Finished and published for rating")


class Project(models.Model):
    idea = models.OneToOneField(Idea, on_delete=models.PROTECT, related_name="project")
    title = models.CharField(_("title"), max_length=100)
    budget = models.DecimalField(
        _("budget from the special fund (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ADOPTED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    summary = models.TextField(_("project summary"), blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    adopted_at = models.DateTimeField(_("adopted at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("micro-project")
        verbose_name_plural = _("micro-projects")
        ordering = ["-adopted_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    """A resident signed up to take part in the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["project", "phone"], name="one_signup_per_phone")
        ]

    def __str__(self) -> str:
        return self.name


class Update(models.Model):
    """A progress update, and the log of the project's status changes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("update"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    status = models.CharField(_("status"), max_length=10, choices=ProjectStatus.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


def _photo_path(photo: UpdatePhoto, filename: str) -> str:
    # A random name: the uploader's file name stays in `name`.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    return f"microprojects/{uuid.uuid4().hex}.{extension}"


class UpdatePhoto(StoredFile):
    """A photo of a progress update: public, as the project is (the public page shows it)."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=_photo_path, max_length=200)

    class Meta:
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        ordering = ["pk"]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    FAIRLY = "fairly", _("Fairly satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Rating(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    phone = models.CharField(_("phone"), max_length=20)
    value = models.CharField(_("rating"), max_length=12, choices=Satisfaction.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["project", "phone"], name="one_rating_per_phone")
        ]

    def __str__(self) -> str:
        return self.get_value_display()
