from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grids import personal_data
from grids.api_query import QueryParameters, id_field, search_field
from grids.models import Assignment, Level, Node, Staff
from grids.selectors import visible_nodes, visible_staff


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related id that must lie in the requesting user's jurisdiction."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": _("Object {pk_value} does not exist or lies outside your jurisdiction."),
    }

    def __init__(self, selector: Callable[[Any], QuerySet[Any]], **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.selector(self.context["request"].user)


NODE_FIELDS = [
    "id",
    "code",
    "name",
    "level",
    "level_label",
    "parent",
    "kind",
    "compound",
    "building",
    "unit",
    "exits",
    "notes",
]


class NodeBriefSerializer(serializers.ModelSerializer):
    """A node as a row of another answer (a coverage gap): without the counts."""

    level_label = serializers.CharField(read_only=True)

    class Meta:
        model = Node
        fields = NODE_FIELDS
        read_only_fields = fields


class NodeSerializer(NodeBriefSerializer):
    """A node with its counts: set them with selectors.attach_counts (one query a page)."""

    children_count = serializers.IntegerField(read_only=True)
    stairwell_count = serializers.IntegerField(read_only=True)

    class Meta(NodeBriefSerializer.Meta):
        fields = [*NODE_FIELDS, "children_count", "stairwell_count"]
        read_only_fields = fields


class SupplyTotalSerializer(serializers.Serializer):
    item = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)


class LedgerSerializer(serializers.Serializer):
    node = NodeSerializer()
    exits = serializers.IntegerField()
    stairwells = serializers.IntegerField()
    supplies = SupplyTotalSerializer(many=True)


class StaffSerializer(serializers.ModelSerializer):
    home_node = ScopedPrimaryKeyField(visible_nodes)

    class Meta:
        model = Staff
        fields = [
            "id",
            "name",
            "phone",
            "party_membership",
            "affiliation",
            "organisation",
            "home_node",
        ]

    def to_representation(self, instance: Staff) -> dict[str, Any]:
        data = super().to_representation(instance)
        phones = self.context.get("phones")
        data["phone"] = personal_data.shown_phone(
            instance.phone, full=phones is not None and phones.of(instance.pk)
        )
        return data


class AssignmentSerializer(serializers.ModelSerializer):
    staff = ScopedPrimaryKeyField(visible_staff)
    node = ScopedPrimaryKeyField(visible_nodes)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    node_name = serializers.CharField(source="node.name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "staff",
            "staff_name",
            "node",
            "node_name",
            "role",
            "role_label",
            "started_on",
            "ended_on",
        ]
        read_only_fields = ["ended_on"]


class EndAssignmentSerializer(serializers.Serializer):
    ended_on = serializers.DateField(required=False)


class CoverageGapSerializer(serializers.Serializer):
    node = NodeBriefSerializer()
    missing = serializers.ListField(child=serializers.CharField())
    missing_labels = serializers.ListField(child=serializers.CharField())


def scoped_id(selector: Callable[[Any], QuerySet[Any]], help_text: str) -> ScopedPrimaryKeyField:
    """An id query parameter: a whole number naming a row in the user's jurisdiction."""
    return ScopedPrimaryKeyField(selector, pk_field=id_field(), required=False, help_text=help_text)


class SubtreeQuery(QueryParameters):
    node = scoped_id(visible_nodes, "Only rows in this node's subtree.")


class NodeQuery(QueryParameters):
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="0 street … 4 stairwell"
    )
    # A declared field, popped from the class by DRF (mypy sees Field.parent).
    parent = scoped_id(visible_nodes, "Only the children of this node.")  # type: ignore[assignment]
    q = search_field("A code prefix (digits) or part of the name.")


class StaffQuery(QueryParameters):
    q = search_field("Part of the name or organisation, or a full phone number.")


class AssignmentQuery(QueryParameters):
    node = scoped_id(visible_nodes, "Only assignments to this node.")
    staff = scoped_id(visible_staff, "Only this person's assignments.")
    current = serializers.BooleanField(
        required=False, help_text="Only assignments in force today (not ended)."
    )
