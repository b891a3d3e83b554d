"""Reads of ideas and micro-projects: scoped for staff, published-only for the public."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet

from grids.jurisdiction import scope_for
from grids.models import Node
from microprojects.models import Idea, IdeaStatus, Project, ProjectStatus, Satisfaction


def visible_ideas(user: Any) -> QuerySet[Idea]:
    return Idea.objects.filter(scope_for(user).q("community__"))


def visible_projects(user: Any) -> QuerySet[Project]:
    return Project.objects.filter(scope_for(user).q("idea__community__"))


def with_support(ideas: QuerySet[Idea]) -> QuerySet[Idea]:
    """Each idea with `residents` and `branches`: the hands raised, by kind."""
    return ideas.annotate(
        residents=Count("hands", filter=Q(hands__kind="resident")),
        branches=Count("hands", filter=Q(hands__kind="party_branch")),
    )


def with_ratings(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each project with a count per satisfaction value (`satisfied`, `fairly`, …)."""
    return projects.annotate(
        **{
            value: Count("ratings", filter=Q(ratings__value=value)) for value in Satisfaction.values
        },
        participant_count=Count("participants", distinct=True),
    )


def public_ideas(community: Node) -> QuerySet[Idea]:
    """The community's ideas gathering support (most hands first), then those declined
    with their answer."""
    ideas = Idea.objects.filter(
        community=community, status__in=[IdeaStatus.OPEN, IdeaStatus.DECLINED]
    )
    return with_support(ideas).order_by("-status", F("residents").desc(), "-pk")


def public_projects(community: Node) -> QuerySet[Project]:
    return Project.objects.filter(idea__community=community).order_by("-adopted_at", "-pk")


def published(projects: QuerySet[Project]) -> QuerySet[Project]:
    return projects.filter(status=ProjectStatus.PUBLISHED)
