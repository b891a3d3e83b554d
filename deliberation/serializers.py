"""The API's shapes of matters, their records, votes, tallies and milestones."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from deliberation import selectors
from deliberation.models import (
    Choice,
    Matter,
    MatterEvent,
    MatterFile,
    Milestone,
    MilestoneStatus,
    Objection,
    Outcome,
    Phase,
    Publication,
    Stage,
    StageRecord,
    Vote,
    Voter,
    What,
)
from deliberation.tally import Comparison, Tally, fraction_text
from deliberation.voting import published_totals
from grids import personal_data
from grids.api_query import QueryParameters, id_field
from grids.selectors import visible_nodes
from grids.serializers import ScopedPrimaryKeyField, scoped_id


class StageRecordSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="held_on")
    stage_label = serializers.CharField(source="get_stage_display")
    outcome_label = serializers.CharField(source="get_outcome_display")

    class Meta:
        model = StageRecord
        fields = [
            "stage",
            "stage_label",
            "date",
            "participants",
            "minutes",
            "outcome",
            "outcome_label",
            "recorded_at",
            "superseded_at",
        ]
        read_only_fields = fields


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publication
        fields = ["what", "text", "totals", "published_at", "publicity_until"]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "title", "planned_on", "done_on", "status", "status_label", "progress"]
        read_only_fields = ["id", "status_label"]


class MatterSerializer(serializers.ModelSerializer):
    node_name = serializers.CharField(source="node.display_name", read_only=True)
    item_label = serializers.CharField(source="get_item_display", read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    progress = serializers.SerializerMethodField(help_text="Implementation progress, whole %.")

    class Meta:
        model = Matter
        fields = [
            "id",
            "title",
            "description",
            "node",
            "node_name",
            "item",
            "item_label",
            "proposed_by",
            "stage",
            "stage_label",
            "phase",
            "phase_label",
            "budget",
            "spent",
            "progress",
            "created_at",
        ]
        read_only_fields = fields

    def get_progress(self, matter: Matter) -> int:
        return selectors.progress(matter)


class MatterDetailSerializer(MatterSerializer):
    """A matter with its live deliberation records, publications and milestones."""

    records = serializers.SerializerMethodField()
    publications = PublicationSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(MatterSerializer.Meta):
        fields = [
            *MatterSerializer.Meta.fields,
            "final_report",
            "records",
            "publications",
            "milestones",
        ]
        read_only_fields = fields

    def get_records(self, matter: Matter) -> list[dict[str, Any]]:
        live = [r for r in matter.records.all() if r.superseded_at is None]
        return StageRecordSerializer(live, many=True).data  # type: ignore[return-value]


class MatterCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    node = ScopedPrimaryKeyField(visible_nodes, pk_field=id_field())
    item = serializers.IntegerField(
        min_value=1, max_value=9, allow_null=True, help_text="Civil Code art. 278 item, or null."
    )
    description = serializers.CharField(max_length=10000, allow_blank=True, default="")
    proposed_by = serializers.CharField(max_length=100, allow_blank=True, default="")
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class AdvanceSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    date = serializers.DateField()
    participants = serializers.CharField(max_length=5000, allow_blank=True, default="")
    minutes = serializers.CharField(max_length=50000, allow_blank=True, default="")
    stage = serializers.ChoiceField(
        choices=Stage.choices,
        required=False,
        help_text="The stage meant: refused (409) unless it is the one the matter waits for.",
    )


class ReturnSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(max_length=5000)


class BallotSerializer(serializers.Serializer):
    voter = serializers.IntegerField(min_value=1)
    choice = serializers.ChoiceField(choices=Choice.choices)


class BallotsSerializer(serializers.Serializer):
    """One ballot (`voter`, `choice`) or several (`ballots`)."""

    voter = serializers.IntegerField(min_value=1, required=False)
    choice = serializers.ChoiceField(choices=Choice.choices, required=False)
    ballots = BallotSerializer(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        single = "voter" in attrs or "choice" in attrs
        if single == ("ballots" in attrs):
            raise serializers.ValidationError(
                _("Send either one ballot (voter and choice) or a list of ballots.")
            )
        if single:
            if "voter" not in attrs or "choice" not in attrs:
                raise serializers.ValidationError(_("A ballot needs both voter and choice."))
            return {"ballots": [(attrs["voter"], attrs["choice"])]}
        return {"ballots": [(b["voter"], b["choice"]) for b in attrs["ballots"]]}


class BallotsWrittenSerializer(serializers.Serializer):
    written = serializers.IntegerField(help_text="Ballots written (an unchanged one is not).")


class VoteSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Vote
        fields = [
            "id",
            "opened_at",
            "closed_at",
            "is_open",
            "total_flats",
            "total_area",
            "total_heads",
        ]
        read_only_fields = fields


class VoterOwnerSerializer(serializers.Serializer):
    name = serializers.CharField()
    certificate = serializers.CharField()


class VoterSerializer(serializers.ModelSerializer):
    """A head of the frozen electorate: a person's name and certificate masked unless the
    user may see personal data (an organisation's shown); `choice` is its live ballot."""

    kind_label = serializers.CharField(source="get_kind_display")
    owners = serializers.SerializerMethodField()
    choice = serializers.SerializerMethodField()

    class Meta:
        model = Voter
        fields = ["id", "kind", "kind_label", "owners", "flats", "area", "choice"]
        read_only_fields = fields

    def get_owners(self, voter: Voter) -> list[dict[str, str]]:
        full = self.context.get("unmask", False)
        return [
            {
                "name": personal_data.shown_owner_name(
                    o["name"], personal=o["personal"], full=full
                ),
                "certificate": personal_data.shown_certificate(
                    o["certificate"], personal=o["personal"], full=full
                ),
            }
            for o in voter.owners
        ]

    def get_choice(self, voter: Voter) -> str | None:
        return self.context.get("choices", {}).get(voter.pk)


class ComparisonSerializer(serializers.Serializer):
    # A declared field, popped from the class by DRF (mypy sees Field.label).
    label = serializers.CharField()  # type: ignore[assignment]
    part = serializers.CharField()
    whole = serializers.CharField()
    ratio = serializers.SerializerMethodField()
    bound = serializers.SerializerMethodField()
    inclusive = serializers.BooleanField(source="threshold.inclusive")
    met = serializers.BooleanField()
    sentence = serializers.CharField()

    def get_ratio(self, comparison: Comparison) -> str:
        return fraction_text(comparison.share)

    def get_bound(self, comparison: Comparison) -> str:
        return fraction_text(comparison.threshold.bound)


class TallySerializer(serializers.Serializer):
    """Every number of the tally, each ratio an exact fraction ("67/100"), and the four
    comparisons that decided it with their Chinese sentences."""

    is_open = serializers.BooleanField()
    quorum_met = serializers.BooleanField()
    passed = serializers.BooleanField()
    total_area = serializers.CharField()
    total_heads = serializers.IntegerField()
    participating_area = serializers.CharField()
    participating_heads = serializers.IntegerField()
    yes_area = serializers.CharField()
    yes_heads = serializers.IntegerField()
    no_area = serializers.CharField()
    no_heads = serializers.IntegerField()
    abstain_area = serializers.CharField()
    abstain_heads = serializers.IntegerField()
    participating_area_ratio = serializers.CharField()
    participating_heads_ratio = serializers.CharField()
    yes_area_ratio = serializers.CharField()
    yes_heads_ratio = serializers.CharField()
    quorum = ComparisonSerializer(many=True)
    consent = ComparisonSerializer(many=True)


def tally_data(tally: Tally, *, is_open: bool) -> dict[str, Any]:
    return {
        **published_totals(tally),
        "is_open": is_open,
        "quorum": ComparisonSerializer(tally.quorum, many=True).data,
        "consent": ComparisonSerializer(tally.consent, many=True).data,
    }


class PublishSerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=What.choices)
    text = serializers.CharField(max_length=20000, allow_blank=True, default="")


class MilestoneUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    done_on = serializers.DateField(required=False)


class ImplementationSerializer(serializers.Serializer):
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    final_report = serializers.CharField(max_length=50000, allow_blank=True, required=False)


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "received_on", "text", "answer", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]


class MatterEventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display")
    user = serializers.SerializerMethodField()

    class Meta:
        model = MatterEvent
        fields = ["action", "action_label", "from_stage", "to_stage", "user", "at", "note"]
        read_only_fields = fields

    def get_user(self, event: MatterEvent) -> str | None:
        user = event.user
        return None if user is None else user.get_full_name() or user.get_username()


class MatterQuery(QueryParameters):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    item = serializers.IntegerField(min_value=0, max_value=9, required=False, help_text="0: none.")
    node = scoped_id(visible_nodes, "Only matters of this node's subtree.")
    publicity = serializers.ChoiceField(
        choices=["open", "over"],
        required=False,
        help_text="open: in the resolution's publicity period; over: the period is over and "
        "the implementation result not yet published.",
    )


class MatterFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the file is served (scoped).")

    class Meta:
        model = MatterFile
        fields = ["id", "name", "content_type", "size", "milestone", "record", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, found: MatterFile) -> str:
        return reverse("admin:deliberation_matter_file", args=[found.pk])


class MatterFilesSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), help_text="Photos (JPEG, PNG, WebP) or PDFs."
    )
    milestone = serializers.IntegerField(
        min_value=1, required=False, help_text="A milestone's photos (public once published)."
    )
    record = serializers.IntegerField(
        min_value=1, required=False, help_text="A deliberation's minutes or signed record."
    )
