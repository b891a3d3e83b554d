from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grids import personal_data
from grids.models import Assignment, Node, Staff
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


class NodeSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(read_only=True)
    children_count = serializers.IntegerField(read_only=True)
    stairwell_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Node
        fields = [
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
            "children_count",
            "stairwell_count",
        ]
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
        data["phone"] = personal_data.shown_phone(
            instance.phone, full=self.context.get("unmask", False)
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
    node = NodeSerializer()
    missing = serializers.ListField(child=serializers.CharField())
    missing_labels = serializers.ListField(child=serializers.CharField())
