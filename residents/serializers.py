from decimal import Decimal
from typing import Any

from rest_framework import serializers

from grids import personal_data
from grids.api_query import search_field
from grids.models import Level
from grids.selectors import visible_nodes, visible_staff
from grids.serializers import ScopedPrimaryKeyField, SubtreeQuery, scoped_id
from residents import selectors, services
from residents.models import Household, HousingStatus, ImportBatch, LifeEvent, Person, Tag, Visit


def visible_stairwells(user: Any) -> Any:
    return visible_nodes(user).filter(level=Level.STAIRWELL)


def visible_communities(user: Any) -> Any:
    return visible_nodes(user).filter(level=Level.COMMUNITY)


# The "四掌握" person lists, by their `?list=` name.
FOUR_LISTS = {
    "party-members": selectors.party_members,
    "floating": selectors.floating_population,
}


class HouseholdSerializer(serializers.ModelSerializer):
    stairwell = ScopedPrimaryKeyField(visible_stairwells)
    address = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    flat: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The flat the household lives in (/api/v1/flats/)."
    )
    # The flat's fields, written to the flat (shared by every household in it).
    housing_status = serializers.ChoiceField(
        source="flat.housing_status", choices=HousingStatus.choices, required=False
    )
    area = serializers.DecimalField(
        source="flat.area",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal(0),
        allow_null=True,
        required=False,
    )
    owner = serializers.CharField(
        source="flat.owner", max_length=50, allow_blank=True, required=False
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "stairwell",
            "address",
            "flat",
            "room",
            "number",
            "kind",
            "housing_status",
            "area",
            "owner",
            "street",
            "community",
            "grid",
            "micro_grid",
            "member_count",
        ]
        read_only_fields = ["street", "community", "grid", "micro_grid"]

    def get_address(self, household: Household) -> str:
        return f"{household.stairwell.compound}{household.stairwell.name}{household.room}"

    def service_fields(self) -> dict[str, Any]:
        """The validated data as the household services take it: the flat's fields flat."""
        data = dict(self.validated_data)
        data.update(data.pop("flat", {}))
        return data


class PersonSerializer(serializers.ModelSerializer):
    """ID number and phone are written in full and read masked unless the user may see them."""

    household = ScopedPrimaryKeyField(selectors.visible_households)
    id_number = serializers.CharField(max_length=30)
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False
    )

    birth_year = serializers.SerializerMethodField(
        help_text="Always given; birth_date is null unless the user may see personal data."
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "id_number",
            "sex",
            "birth_date",
            "birth_year",
            *services.PERSON_EDITABLE,
            "tags",
        ]
        read_only_fields = ["sex", "birth_date"]

    def get_birth_year(self, instance: Person) -> int | None:
        return instance.birth_date.year if instance.birth_date else None

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        full = self.context.get("unmask", False)
        data["id_number"] = personal_data.shown_id_number(instance.id_number, full=full)
        data["phone"] = personal_data.shown_phone(instance.phone, full=full)
        if not full:
            data["birth_date"] = None
        return data


class LifeEventSerializer(serializers.ModelSerializer):
    household = ScopedPrimaryKeyField(selectors.visible_households)
    person = ScopedPrimaryKeyField(selectors.visible_persons, required=False, allow_null=True)

    class Meta:
        model = LifeEvent
        fields = ["id", "household", "person", "kind", "occurred_on", "notes"]


class VisitSerializer(serializers.ModelSerializer):
    household = ScopedPrimaryKeyField(selectors.visible_households)
    visitor = ScopedPrimaryKeyField(visible_staff)

    class Meta:
        model = Visit
        fields = ["id", "household", "visitor", "visited_on", "notes"]


class ImportBatchSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    error_count = serializers.IntegerField(read_only=True)
    area_name = serializers.CharField(
        source="area.name", read_only=True, default=None, allow_null=True
    )
    changes_nothing = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "filename",
            "area",
            "area_name",
            "sha256",
            "created_at",
            "status",
            "status_label",
            "rows_total",
            "rows_done",
            "percent",
            "skip_invalid",
            "summary",
            "error_count",
            "changes_nothing",
            "applied_at",
            "upload_deleted_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    skip_invalid = serializers.BooleanField(default=False)


class ConfirmSerializer(serializers.Serializer):
    skip_invalid = serializers.BooleanField(default=False)


class ImportProblemSerializer(serializers.Serializer):
    """One problem of an import's report."""

    line = serializers.IntegerField(help_text="The file's line (1 is the first); 0 for the file.")
    column = serializers.CharField(allow_blank=True, help_text="The column's header, or blank.")
    code = serializers.CharField()
    message = serializers.CharField()


# The query parameters of the roster's lists (grids.api_query.read_query).
class HouseholdQuery(SubtreeQuery):
    q = search_field("Room, 户号, or a member's name, full ID number or phone.")
    community = scoped_id(visible_communities, "Only households in this community.")
    housing_status = serializers.ChoiceField(choices=HousingStatus.choices, required=False)
    rented = serializers.BooleanField(required=False, help_text="Only rented flats (四掌握).")


class PersonQuery(SubtreeQuery):
    q = search_field("A name, or a full ID number or phone.")
    list = serializers.ChoiceField(
        choices=sorted(FOUR_LISTS), required=False, help_text="One of the 四掌握 lists."
    )
    household = scoped_id(selectors.visible_households, "Only the members of this household.")


class LifeEventQuery(SubtreeQuery):
    recent = serializers.BooleanField(required=False, help_text="Only the last 90 days (四掌握).")
