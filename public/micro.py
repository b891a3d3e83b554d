"""The public pages of 举手制 micro-projects, per community: the ideas gathering support
(with the hands raised — counts only), a form to send an idea, a hand to raise, the
projects with their progress and a sign-up, and the finished ones to rate.

The posts take no login: each is throttled per address (throttle.py) and bounded by
one per mobile phone where the rule says so (microprojects.services). Phones and names
never show here; an error comes back as a Chinese message and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.files import serve
from common.forms import correction_message
from grids.models import Level, Node
from microprojects import selectors, services
from microprojects.models import Idea, Project, Satisfaction, UpdatePhoto
from public.throttle import allowed


class IdeaForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=100)
    text = forms.CharField(label=gettext_lazy("idea"), max_length=2000, widget=forms.Textarea)
    name = forms.CharField(label=gettext_lazy("name"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("mobile phone"), max_length=20)


class HandForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("mobile phone"), max_length=20)
    branch = forms.CharField(
        label=gettext_lazy("party branch (if raising its hand)"), max_length=100, required=False
    )


class SignUpForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("mobile phone"), max_length=20)


class RatingForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("mobile phone"), max_length=20)
    value = forms.ChoiceField(
        label=gettext_lazy("rating"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )


def projects_page(request: HttpRequest, code: str) -> HttpResponse:
    community = get_object_or_404(Node, code=code, level=Level.COMMUNITY)
    ideas = selectors.public_ideas(community)
    projects = selectors.with_ratings(selectors.public_projects(community)).prefetch_related(
        Prefetch("updates__photos", to_attr="shown_photos")
    )
    return render(
        request,
        "public/projects.html",
        {
            "community": community,
            "ideas": list(ideas),
            "projects": list(projects),
            "idea_form": IdeaForm(),
            "hand_form": HandForm(),
            "signup_form": SignUpForm(),
            "rating_form": RatingForm(),
        },
    )


def _post(
    request: HttpRequest, scope: str, form: forms.Form, back: str, step: Any, done: str
) -> HttpResponse:
    """Run one resident's step: throttled, validated, the service's refusal a message."""
    if not allowed(request, scope):
        response = render(
            request,
            "public/refused.html",
            {"message": _("Too many posts from this address; try again in an hour."), "back": back},
            status=429,
        )
        response["Retry-After"] = "3600"
        return response
    if not form.is_valid():
        messages.error(request, correction_message(form))
        return redirect(back)
    try:
        step(**form.cleaned_data)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(back)


def _back(community: Node) -> str:
    return reverse("public:projects", args=[community.code])


@require_POST
def send_idea(request: HttpRequest, code: str) -> HttpResponse:
    community = get_object_or_404(Node, code=code, level=Level.COMMUNITY)
    return _post(
        request,
        "idea",
        IdeaForm(request.POST),
        _back(community),
        lambda **data: services.submit_idea(community=community, **data),
        _("Thank you: your idea is up for residents to raise their hands."),
    )


@require_POST
def raise_hand(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = get_object_or_404(Idea.objects.select_related("community"), pk=idea_id)
    return _post(
        request,
        "hand",
        HandForm(request.POST),
        _back(idea.community),
        lambda **data: services.raise_hand(idea=idea, **data),
        _("Your hand is counted."),
    )


@require_POST
def sign_up(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("idea__community"), pk=project_id)
    return _post(
        request,
        "signup",
        SignUpForm(request.POST),
        _back(project.idea.community),
        lambda **data: services.sign_up(project=project, **data),
        _("Thank you for signing up; the community will be in touch."),
    )


@require_POST
def rate(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("idea__community"), pk=project_id)
    return _post(
        request,
        "rating",
        RatingForm(request.POST),
        _back(project.idea.community),
        lambda **data: services.rate(project=project, **data),
        _("Thank you for your rating."),
    )


def progress_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A progress update's photo: public, as every adopted project is."""
    return serve(get_object_or_404(UpdatePhoto, pk=photo_id), public=True)
