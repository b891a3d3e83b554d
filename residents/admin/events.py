"""Special-group tags, life events (喜事丧事) and visits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from grids.admin.mixins import (
    OfferedLookupsMixin,
)
from residents import services
from residents.admin.common import CommunityFilter, RosterAdminMixin
from residents.models import (
    LifeEvent,
    Tag,
    Visit,
)


@admin.register(Tag)
class TagAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class EventCommunityFilter(CommunityFilter):
    field = "household__community_id"


@admin.register(LifeEvent)
class LifeEventAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "occurred_on", "household", "person", "notes"]
    list_select_related = ["household__stairwell", "person"]
    list_filter = [EventCommunityFilter, "kind", "occurred_on"]
    autocomplete_fields = ["household", "person"]
    show_full_result_count = False
    actions = None
    ordering = ["-occurred_on", "pk"]

    def save_model(self, request: HttpRequest, obj: LifeEvent, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        created = services.record_life_event(**form.cleaned_data)
        obj.pk = created.pk


@admin.register(Visit)
class VisitAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = ["visited_on", "household", "visitor", "notes"]
    list_select_related = ["household__stairwell", "visitor"]
    list_filter = ["visited_on"]
    autocomplete_fields = ["household", "visitor"]
    show_full_result_count = False
    actions = None
    ordering = ["-visited_on", "pk"]

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        created = services.record_visit(**form.cleaned_data)
        obj.pk = created.pk
