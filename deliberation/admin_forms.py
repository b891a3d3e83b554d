"""The forms of the matters' admin pages: one per step the matter page offers; the
services check the order and the jurisdiction, the forms only the shapes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import files_field
from deliberation import selectors
from deliberation.models import Choice, Item, MilestoneStatus, Outcome, Stage, What
from deliberation.services import LOWEST_LEVEL_FOR_AFFAIRS
from grids.models import Node
from grids.selectors import visible_nodes


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class MatterForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    node = forms.ModelChoiceField(label=_("decided by the owners of"), queryset=Node.objects.none())
    item = forms.TypedChoiceField(
        label=_("Civil Code art. 278 item"),
        choices=[("", _("Not an owners' matter (a community affair, no vote)")), *Item.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    description = forms.CharField(label=_("description"), required=False, widget=_textarea(5))
    proposed_by = forms.CharField(label=_("proposed by"), max_length=100, required=False)
    budget = forms.DecimalField(
        label=_("budget (yuan)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            visible_nodes(user)
            .filter(level__gte=LOWEST_LEVEL_FOR_AFFAIRS)
            .order_by("tree_id", "lft")
        )


class AdvanceForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    held_on = forms.DateField(
        label=_("date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    participants = forms.CharField(label=_("participants"), required=False, widget=_textarea(2))
    minutes = forms.CharField(label=_("minutes"), required=False, widget=_textarea(4))
    # The stage the page showed: a page left open while someone else recorded it is refused.
    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class ReturnForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("back to"), choices=Stage.choices)
    reason = forms.CharField(label=_("reason"), widget=_textarea(2))


class EmptyForm(forms.Form):
    """Opening and closing the vote take nothing but the button."""


class PublishForm(forms.Form):
    what = forms.ChoiceField(label=_("publication"), choices=What.choices, widget=forms.HiddenInput)
    text = forms.CharField(label=_("text"), required=False, widget=_textarea(4))


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    planned_on = forms.DateField(
        label=_("planned for"), widget=forms.DateInput(attrs={"type": "date"})
    )


class MilestoneUpdateForm(forms.Form):
    milestone = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label=_("status"), choices=MilestoneStatus.choices)
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)


class ImplementationForm(forms.Form):
    budget = forms.DecimalField(
        label=_("budget (yuan)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    spent = forms.DecimalField(
        label=_("spent (yuan)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    final_report = forms.CharField(label=_("final report"), required=False, widget=_textarea(4))


class ObjectionForm(forms.Form):
    received_on = forms.DateField(
        label=_("received on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    text = forms.CharField(label=_("objection"), widget=_textarea(3))
    answer = forms.CharField(label=_("answer"), required=False, widget=_textarea(2))


class BallotsForm(forms.Form):
    """One choice field per voter of the page (`voter_<id>`); an empty one is no ballot."""

    def __init__(self, *args: Any, voters: list[Any], choices: dict[int, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.voters = voters
        for voter in voters:
            self.fields[f"voter_{voter.pk}"] = forms.ChoiceField(
                label=str(voter),
                choices=[("", "–"), *Choice.choices],
                required=False,
                initial=choices.get(voter.pk, ""),
                widget=forms.RadioSelect,
            )

    def ballots(self) -> list[tuple[int, str]]:
        return [
            (voter.pk, self.cleaned_data[f"voter_{voter.pk}"])
            for voter in self.voters
            if self.cleaned_data.get(f"voter_{voter.pk}")
        ]


class FilesForm(forms.Form):
    # A declared field: the metaclass moves it into base_fields, clear of BaseForm.files.
    files = files_field(_("photos or PDFs"))  # type: ignore[assignment]
    milestone = forms.TypedChoiceField(
        label=_("of the milestone"), coerce=int, empty_value=None, required=False
    )
    record = forms.TypedChoiceField(
        label=_("of the deliberation"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, matter: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        milestone, record = self.fields["milestone"], self.fields["record"]
        assert isinstance(milestone, forms.TypedChoiceField)
        assert isinstance(record, forms.TypedChoiceField)
        milestone.choices = [("", "–"), *((m.pk, m.title) for m in matter.milestones.all())]
        live = selectors.live_records(matter).values()
        record.choices = [("", "–"), *((r.pk, r.get_stage_display()) for r in live)]
