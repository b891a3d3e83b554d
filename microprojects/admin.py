"""举手制 in the browser, for community staff: ideas by support (with a form for one from
the suggestion box), an idea's page to adopt or decline it, and a project's page with
its participants, updates and ratings, to post progress and publish it. Thin over
microprojects.services; phones masked unless the user may see them (then audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from common.forms import correction_message, files_field
from grids import personal_data
from grids.models import Level, Node
from grids.selectors import visible_nodes
from microprojects import selectors, services
from microprojects.models import Idea, Project


class BoxIdeaForm(forms.Form):
    community = forms.ModelChoiceField(label=_("community"), queryset=Node.objects.none())
    title = forms.CharField(label=_("title"), max_length=100)
    text = forms.CharField(label=_("idea"), max_length=2000, widget=forms.Textarea)
    name = forms.CharField(label=_("name"), max_length=50)
    phone = forms.CharField(label=_("mobile phone"), max_length=20)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = visible_nodes(user).filter(level=Level.COMMUNITY).order_by("lft")


class AdoptForm(forms.Form):
    title = forms.CharField(label=_("project title"), max_length=100, required=False)
    budget = forms.DecimalField(
        label=_("budget from the special fund (yuan)"), max_digits=12, decimal_places=2, min_value=0
    )


class DeclineForm(forms.Form):
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea(attrs={"rows": 2}))


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("update"), widget=forms.Textarea(attrs={"rows": 2}))
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)
    photos = files_field(_("photos"), accept="image/jpeg,image/png,image/webp")


class PublishForm(forms.Form):
    summary = forms.CharField(label=_("project summary"), widget=forms.Textarea(attrs={"rows": 3}))


def _run(
    admin_view: admin.ModelAdmin,
    request: HttpRequest,
    form: forms.Form,
    step: Callable[..., Any],
    done: str,
) -> None:
    """A step of a page's form: the form's or the service's refusal as a Chinese message."""
    if not form.is_valid():
        admin_view.message_user(request, correction_message(form), messages.ERROR)
        return
    try:
        step(**form.cleaned_data)
    except ValidationError as error:
        admin_view.message_user(request, "；".join(error.messages), messages.ERROR)
    except PermissionDenied as refused:
        admin_view.message_user(request, str(refused), messages.ERROR)
    else:
        admin_view.message_user(request, done, messages.SUCCESS)


class _PagesAdmin(admin.ModelAdmin):
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # changed only by the forms of its page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **context}

    def _one(self, request: HttpRequest, object_id: Any) -> Any:
        if not self.has_view_permission(request) or not str(object_id).isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(request), pk=int(object_id))


@admin.register(Idea)
class IdeaAdmin(_PagesAdmin):
    list_display = [
        "title",
        "community_name",
        "status",
        "residents_shown",
        "branches_shown",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["title"]
    fields = ["community", "title", "text", "name", "phone"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Idea]:
        ideas = selectors.visible_ideas(request.user).select_related("community")
        return selectors.with_support(ideas).order_by("-created_at", "-pk")

    @admin.display(description=_("community"))
    def community_name(self, obj: Idea) -> str:
        return obj.community.name

    @admin.display(description=_("residents' hands"))
    def residents_shown(self, obj: Idea) -> int:
        return getattr(obj, "residents", 0)

    @admin.display(description=_("party branches' hands"))
    def branches_shown(self, obj: Idea) -> int:
        return getattr(obj, "branches", 0)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:idea_id>/step/<str:step>/",
                view(self.step_view),
                name="microprojects_idea_step",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BoxIdeaForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                idea = services.submit_idea(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            else:
                self.message_user(request, _("The idea was entered."), messages.SUCCESS)
                return redirect("admin:microprojects_idea_change", idea.pk)
        context = self._context(
            request, title=_("An idea from the suggestion box"), form=form, submit_label=_("Save")
        )
        return TemplateResponse(request, "admin/tasks/task/add.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        idea = self._one(request, object_id)
        full = personal_data.may_see(request.user)
        personal_data.log_if_unmasked(user=request.user, what="idea", ids=[idea.pk])
        context = self._context(
            request,
            title=idea.title,
            idea=idea,
            phone=personal_data.shown_phone(idea.phone, full=full),
            adopt_form=AdoptForm(initial={"title": idea.title}),
            decline_form=DeclineForm(),
        )
        return TemplateResponse(request, "admin/microprojects/idea.html", context)

    def step_view(self, request: HttpRequest, idea_id: int, step: str) -> HttpResponse:
        idea = self._one(request, idea_id)
        if request.method == "POST" and step == "adopt":
            _run(
                self,
                request,
                AdoptForm(request.POST),
                lambda **data: services.adopt(user=request.user, idea=idea, **data),
                str(_("Adopted as a project.")),
            )
        elif request.method == "POST" and step == "decline":
            _run(
                self,
                request,
                DeclineForm(request.POST),
                lambda **data: services.decline(user=request.user, idea=idea, **data),
                str(_("The idea was declined, with the answer shown publicly.")),
            )
        elif request.method == "POST":
            raise Http404
        return redirect("admin:microprojects_idea_change", idea.pk)


@admin.register(Project)
class ProjectAdmin(_PagesAdmin):
    list_display = ["title", "community_name", "status", "progress", "budget", "adopted_at"]
    list_filter = ["status"]
    search_fields = ["title"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        projects = selectors.visible_projects(request.user).select_related("idea__community")
        return projects.order_by("-adopted_at", "-pk")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a project is an adopted idea

    @admin.display(description=_("community"))
    def community_name(self, obj: Project) -> str:
        return obj.idea.community.name

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:project_id>/step/<str:step>/",
                view(self.step_view),
                name="microprojects_project_step",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        project = self._one(request, object_id)
        rated = selectors.with_ratings(Project.objects.filter(pk=project.pk)).get()
        full = personal_data.may_see(request.user)
        participants = [
            (p.name, personal_data.shown_phone(p.phone, full=full))
            for p in project.participants.order_by("pk")
        ]
        personal_data.log_if_unmasked(user=request.user, what="micro-project", ids=[project.pk])
        context = self._context(
            request,
            title=project.title,
            project=rated,
            participants=participants,
            updates=project.updates.select_related("created_by").prefetch_related("photos"),
            update_form=UpdateForm(initial={"progress": project.progress}),
            publish_form=PublishForm(),
        )
        return TemplateResponse(request, "admin/microprojects/project.html", context)

    def step_view(self, request: HttpRequest, project_id: int, step: str) -> HttpResponse:
        project = self._one(request, project_id)
        if request.method == "POST" and step == "update":
            _run(
                self,
                request,
                UpdateForm(request.POST, request.FILES),
                lambda **data: services.post_update(user=request.user, project=project, **data),
                str(_("The update was posted.")),
            )
        elif request.method == "POST" and step == "publish":
            _run(
                self,
                request,
                PublishForm(request.POST),
                lambda **data: services.publish(user=request.user, project=project, **data),
                str(_("Published for the residents to rate.")),
            )
        elif request.method == "POST":
            raise Http404
        return redirect("admin:microprojects_project_change", project.pk)
