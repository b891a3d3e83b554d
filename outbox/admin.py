"""The outside channels of the units in the user's jurisdiction, and what went out.
A robot's address carries its access key: the admin shows it masked and never puts it
back in a form (leave the field empty to keep it)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.masking import mask_phone
from grids.admin.mixins import OfferedLookupsMixin
from grids.models import Level
from grids.selectors import visible_nodes
from outbox.models import WEBHOOKS, Channel, Delivery


def masked_url(url: str) -> str:
    """The address with every query value and the path's last part cut to its last four
    characters: enough to tell two robots apart, not enough to post to one."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    path, _sep, last = parts.path.rpartition("/")
    if len(last) > 8:
        last = "••••" + last[-4:]
    query = "&".join(
        f"{key}=••••{value[-4:]}" for key, value in urllib.parse.parse_qsl(parts.query)
    )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{path}/{last}", query, ""))


class ChannelForm(forms.ModelForm):
    url = forms.CharField(
        label=_("webhook address"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The robot's full address. Leave empty to keep the one saved."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("DingTalk and Feishu robots with signing. Leave empty to keep the one saved."),
    )

    class Meta:
        model = Channel
        fields = ["node", "kind", "name", "url", "secret", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip() or (self.instance.url if self.instance.pk else "")
        if url:
            parts = urllib.parse.urlsplit(url)
            schemes = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
            if parts.scheme not in schemes or not parts.netloc:
                raise forms.ValidationError(_("Enter the robot's https:// address."))
        return url

    def clean_secret(self) -> str:
        kept = self.instance.secret if self.instance.pk else ""
        return self.cleaned_data["secret"].strip() or kept

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") not in WEBHOOKS:
            data["url"], data["secret"] = "", ""
        return data


@admin.register(Channel)
class ChannelAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    form = ChannelForm
    list_display = ["__str__", "node", "kind", "address", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["node"]

    @admin.display(description=_("webhook address"))
    def address(self, obj: Channel) -> str:
        return masked_url(obj.url) or "–"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Channel]:
        return Channel.objects.filter(node__in=visible_nodes(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "node":
            # Groups sit on the units above the stairwells; thousands of those would
            # only swell the list.
            kwargs["queryset"] = (
                visible_nodes(request.user)
                .filter(level__lt=Level.STAIRWELL)
                .order_by("tree_id", "lft")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


SHOWN: tuple[str, ...] = (
    "channel",
    "recipient",
    "text",
    "status",
    "attempts",
    "last_error",
    "sent_at",
)


@admin.register(Delivery)
class DeliveryAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "status", "attempts", "last_error"]
    list_filter = ["status"]
    list_select_related = ["channel", "channel__node"]
    fields = ["channel", "recipient", "text", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = [
        "channel",
        "recipient",
        "text",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    ]
    show_full_result_count = False

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Delivery) -> str:
        return mask_phone(obj.to) if obj.to else "–"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return Delivery.objects.filter(channel__node__in=visible_nodes(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
