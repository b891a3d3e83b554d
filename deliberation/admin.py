"""Matters in the browser: the list by stage with its filters, a form to create one, the
matter's page — the five deliberations as a timeline, the vote, the publications, the
implementation and the log — with one form per step the matter allows now, the
ballots page for entering paper ballots, and the printable tally sheet. Thin over
the services, which check the order and the jurisdiction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from common.files import serve
from common.forms import correction_message
from deliberation import access, files, implementation, selectors, services, voting
from deliberation import admin_forms as f
from deliberation.models import (
    STAGES,
    Matter,
    Milestone,
    MilestoneStatus,
    Phase,
    Stage,
    Vote,
    What,
)
from grids import personal_data
from grids.admin.filters import SubtreeFilter

BALLOTS_PER_PAGE = 100


class PublicityFilter(admin.SimpleListFilter):
    title = _("publicity")
    parameter_name = "publicity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("open", _("In the publicity period")),
            ("over", _("Publicity over, result not published")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return selectors.in_publicity(queryset)
        if self.value() == "over":
            return selectors.publicity_over_unpublished(queryset)
        return queryset


# A step of the matter page: its form, the permission it needs, and the service call.
Step = tuple[type[forms.Form], str, Callable[[Any, Matter, dict[str, Any]], Any]]


def _milestone_update(user: Any, matter: Matter, data: dict[str, Any]) -> Any:
    milestone = get_object_or_404(Milestone, matter=matter, pk=data.pop("milestone"))
    return implementation.update_milestone(user=user, milestone=milestone, **data)


def _implementation(user: Any, matter: Matter, data: dict[str, Any]) -> Any:
    given = {k: v for k, v in data.items() if v is not None}
    return implementation.update_implementation(user=user, matter=matter, **given)


def _call(service: Callable[..., Any]) -> Callable[[Any, Matter, dict[str, Any]], Any]:
    return lambda user, matter, data: service(user=user, matter=matter, **data)


STEPS: dict[str, Step] = {
    "advance": (f.AdvanceForm, access.CHANGE, _call(services.advance)),
    "return": (f.ReturnForm, access.CHANGE, _call(services.return_to)),
    "open_vote": (f.EmptyForm, access.CHANGE, _call(voting.open_vote)),
    "close_vote": (f.EmptyForm, access.CHANGE, _call(voting.close_vote)),
    "publish": (f.PublishForm, access.PUBLISH, _call(services.publish)),
    "milestone": (f.MilestoneForm, access.CHANGE, _call(implementation.add_milestone)),
    "milestone_update": (f.MilestoneUpdateForm, access.CHANGE, _milestone_update),
    "implementation": (f.ImplementationForm, access.CHANGE, _implementation),
    "objection": (f.ObjectionForm, access.CHANGE, _call(implementation.record_objection)),
}

STEP_LABELS = {
    "advance": _("Record this deliberation"),
    "return": _("Return to an earlier stage"),
    "open_vote": _("Open the owners' vote"),
    "close_vote": _("Close the vote"),
    "publish": _("Publish"),
    "milestone": _("Add a milestone"),
    "milestone_update": _("Save"),
    "implementation": _("Save spending and report"),
    "objection": _("Record an objection"),
}


def offered_steps(matter: Matter, vote: Vote | None) -> list[str]:
    """The steps the matter's page offers now (the services have the last word)."""
    steps: list[str] = []
    voting_now = matter.stage == Stage.RESOLVE and matter.is_owners_matter
    if matter.phase == Phase.DELIBERATING:
        if voting_now and vote is None:
            steps.append("open_vote")
        elif voting_now and vote is not None and vote.is_open:
            steps.append("close_vote")
        else:
            steps.append("advance")
        if matter.stage != STAGES[0]:
            steps.append("return")
    if matter.phase in (Phase.STOPPED, Phase.RESOLVED):
        steps.append("return")
    if matter.phase == Phase.RESOLVED or (
        matter.phase == Phase.STOPPED and matter.stage == Stage.RESOLVE
    ):
        steps.append("publish")
    if matter.phase in implementation.PLANNING:
        steps += ["milestone", "milestone_update", "implementation"]
    if matter.phase == Phase.IMPLEMENTING:
        steps += ["objection", "publish"]
    return steps


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "item", "stage", "phase", "progress_shown", "created_at"]
    list_filter = ["stage", "phase", "item", PublicityFilter, SubtreeFilter]
    search_fields = ["title"]
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    actions = None
    fields = ["title", "node", "item", "description", "proposed_by", "budget"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Matter]:
        matters = selectors.visible_matters(request.user).select_related("node")
        return selectors.with_progress(matters).order_by(*self.ordering)

    @admin.display(description=_("decided by the owners of"))
    def unit(self, obj: Matter) -> str:
        return obj.node.display_name

    @admin.display(description=_("progress (%)"))
    def progress_shown(self, obj: Matter) -> int:
        return selectors.progress(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # changed only by the steps of the matter's page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a matter's record is kept

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:matter_id>/step/<str:step>/",
                view(self.step_view),
                name="deliberation_matter_step",
            ),
            path(
                "<int:matter_id>/ballots/",
                view(self.ballots_view),
                name="deliberation_matter_ballots",
            ),
            path("<int:matter_id>/tally/", view(self.tally_view), name="deliberation_matter_tally"),
            path(
                "<int:matter_id>/files/", view(self.upload_view), name="deliberation_matter_upload"
            ),
            path("files/<int:file_id>/", view(self.file_view), name="deliberation_matter_file"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **context}

    def _matter(self, request: HttpRequest, matter_id: Any) -> Matter:
        if not self.has_view_permission(request) or not str(matter_id).isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(request), pk=int(matter_id))

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = f.MatterForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                matter = services.create_matter(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            else:
                self.message_user(request, _("The matter was created."), messages.SUCCESS)
                return redirect("admin:deliberation_matter_change", matter.pk)
        context = self._context(request, title=_("New matter"), form=form, submit_label=_("Create"))
        return TemplateResponse(request, "admin/tasks/task/add.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The matter's page: its stages in order, vote, publications, implementation, log."""
        matter = self._matter(request, object_id)
        records = selectors.live_records(matter)
        vote = voting.live_vote(matter)
        user = request.user
        may = {
            "change": access.may(user, access.CHANGE, matter.node),
            "publish": access.may(user, access.PUBLISH, matter.node),
        }
        steps = [
            s
            for s in offered_steps(matter, vote)
            if may["publish" if STEPS[s][1] == access.PUBLISH else "change"]
        ]
        next_publication = (
            What.IMPLEMENTATION if matter.phase == Phase.IMPLEMENTING else What.RESOLUTION
        )
        forms_by_step = {
            "advance": f.AdvanceForm(initial={"stage": matter.stage}),
            "return": f.ReturnForm(),
            "publish": f.PublishForm(initial={"what": next_publication}),
            "milestone": f.MilestoneForm(),
            "implementation": f.ImplementationForm(
                initial={
                    "budget": matter.budget,
                    "spent": matter.spent,
                    "final_report": matter.final_report,
                }
            ),
            "objection": f.ObjectionForm(),
        }
        context = self._context(
            request,
            title=matter.title,
            matter=matter,
            timeline=[(stage, label, records.get(stage)) for stage, label in Stage.choices],
            superseded=matter.records.filter(superseded_at__isnull=False).order_by("pk"),
            vote=vote,
            tally=voting.tally_of(vote) if vote is not None else None,
            publications=list(matter.publications.all()),
            milestones=list(matter.milestones.all()),
            objections=list(matter.objections.all()),
            events=matter.events.select_related("user"),
            steps=[(s, STEP_LABELS[s], forms_by_step.get(s)) for s in steps],
            next_publication=What(next_publication).label,
            milestone_statuses=MilestoneStatus.choices,
            may_change=may["change"],
            files=list(matter.files.all()),
            files_form=f.FilesForm(matter=matter),
        )
        return TemplateResponse(request, "admin/deliberation/matter/detail.html", context)

    def step_view(self, request: HttpRequest, matter_id: int, step: str) -> HttpResponse:
        matter = self._matter(request, matter_id)
        if request.method != "POST":
            return redirect("admin:deliberation_matter_change", matter.pk)
        if step not in STEPS:
            raise Http404
        form_class, _permission, run = STEPS[step]
        form = form_class(request.POST)
        if not form.is_valid():
            # The page comes back by a redirect: the message names each field's error.
            self.message_user(request, correction_message(form), messages.ERROR)
            return redirect("admin:deliberation_matter_change", matter.pk)
        try:
            run(request.user, matter, dict(form.cleaned_data))
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        except PermissionDenied as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(
                request, _("Done: %(step)s.") % {"step": STEP_LABELS[step]}, messages.SUCCESS
            )
        return redirect("admin:deliberation_matter_change", matter.pk)

    def ballots_view(self, request: HttpRequest, matter_id: int) -> HttpResponse:
        """Paper ballots, a page of voters at a time: a choice per voter; only the changed
        ones are written (voting.cast_ballots)."""
        matter = self._matter(request, matter_id)
        vote = voting.live_vote(matter)
        if vote is None:
            raise Http404
        page = Paginator(vote.voters.order_by("pk"), BALLOTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        voters = list(page.object_list)
        form = f.BallotsForm(
            request.POST or None,
            voters=voters,
            choices=voting.ballot_choices(vote, [v.pk for v in voters]),
        )
        if request.method == "POST" and form.is_valid():
            try:
                written = voting.cast_ballots(
                    user=request.user, matter=matter, ballots=form.ballots()
                )
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
            except PermissionDenied as refused:
                self.message_user(request, str(refused), messages.ERROR)
            else:
                self.message_user(
                    request, _("%(n)s ballots saved.") % {"n": written}, messages.SUCCESS
                )
            return redirect(f"{request.path}?page={page.number}")
        full = personal_data.may_see(request.user)
        rows = [
            (
                voter,
                form[f"voter_{voter.pk}"],
                "、".join(
                    personal_data.shown_owner_name(o["name"], personal=o["personal"], full=full)
                    for o in voter.owners
                ),
            )
            for voter in voters
        ]
        personal_data.log_if_unmasked(
            user=request.user, what=f"ballots of matter {matter.pk}", ids=[v.pk for v in voters]
        )
        context = self._context(
            request, title=_("Ballots"), matter=matter, vote=vote, page=page, rows=rows, form=form
        )
        return TemplateResponse(request, "admin/deliberation/matter/ballots.html", context)

    def upload_view(self, request: HttpRequest, matter_id: int) -> HttpResponse:
        """Photos or PDFs for the matter, one of its deliberations or milestones."""
        matter = self._matter(request, matter_id)
        if request.method == "POST":
            form = f.FilesForm(request.POST, request.FILES, matter=matter)
            if not form.is_valid():
                self.message_user(request, correction_message(form), messages.ERROR)
            else:
                try:
                    added = files.add_files(
                        user=request.user,
                        matter=matter,
                        uploads=form.cleaned_data["files"],
                        milestone=form.cleaned_data["milestone"],
                        record=form.cleaned_data["record"],
                    )
                except ValidationError as error:
                    self.message_user(request, "；".join(error.messages), messages.ERROR)
                except PermissionDenied as refused:
                    self.message_user(request, str(refused), messages.ERROR)
                else:
                    self.message_user(
                        request, _("%(n)s files added.") % {"n": len(added)}, messages.SUCCESS
                    )
        return redirect("admin:deliberation_matter_change", matter.pk)

    def file_view(self, request: HttpRequest, file_id: int) -> FileResponse:
        """A matter's file, to a user who sees the matter."""
        if not self.has_view_permission(request):
            raise Http404
        return serve(get_object_or_404(selectors.visible_files(request.user), pk=file_id))

    def tally_view(self, request: HttpRequest, matter_id: int) -> HttpResponse:
        """The tally sheet: every number and the comparison that decided it, printable."""
        matter = self._matter(request, matter_id)
        vote = voting.live_vote(matter)
        if vote is None:
            raise Http404
        context = self._context(
            request, title=_("Tally sheet"), matter=matter, vote=vote, tally=voting.tally_of(vote)
        )
        return TemplateResponse(request, "admin/deliberation/matter/tally.html", context)
