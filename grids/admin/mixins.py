"""What every admin of the site shares: jurisdiction-scoped querysets, choices and
widgets, only the lookups a list offers, selector searches and the personal-data audit.

Every queryset, foreign-key choice (so a posted id outside the jurisdiction is
rejected), widget and autocomplete goes through grids.selectors.visible(). Every
admin list of the site accepts only the lookups its filters offer
(OfferedLookupsMixin, applied to all registered admins by GridsConfig.ready).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin import filters as admin_filters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    ForeignKeyRawIdWidget,
    url_params_from_lookup_dict,
)
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Field, ForeignKey, ManyToManyField, Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from mptt.admin import TreeRelatedFieldListFilter

from grids import personal_data, selectors


# Django's filter classes and the query parameters each reads, as their
# expected_parameters() names them (a subclass first: TreeRelated before Related).
def _tree_related(path: str, field: Any) -> list[str]:
    remote = field.remote_field
    if remote is not None and hasattr(remote, "get_related_field"):
        name = remote.get_related_field().name
    else:
        name = field.related_model._meta.pk.name
    return [f"{path}__{name}__inhierarchy", f"{path}__isnull"]


FIELD_FILTER_PARAMETERS: list[tuple[type[Any], Callable[[str, Any], list[str]]]] = [
    (TreeRelatedFieldListFilter, _tree_related),
    (
        admin_filters.RelatedFieldListFilter,
        lambda path, field: [f"{path}__{field.target_field.name}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.BooleanFieldListFilter,
        lambda path, field: [f"{path}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.ChoicesFieldListFilter,
        lambda path, field: [f"{path}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.DateFieldListFilter,
        lambda path, field: [
            f"{path}__gte",
            f"{path}__lt",
            *([f"{path}__isnull"] if field.null else []),
        ],
    ),
    (admin_filters.AllValuesFieldListFilter, lambda path, field: [path, f"{path}__isnull"]),
    (admin_filters.EmptyFieldListFilter, lambda path, field: [f"{path}__isempty"]),
]


def filter_parameters(model: type[Model], list_filter: Any) -> list[str]:
    """The query parameters one `list_filter` entry reads, without building the filter
    (building one runs its queries)."""
    if isinstance(list_filter, type) and issubclass(list_filter, admin.SimpleListFilter):
        return [str(list_filter.parameter_name)]
    if isinstance(list_filter, (list, tuple)):
        field, filter_class = list_filter
    elif isinstance(list_filter, (str, Field)):
        field, filter_class = list_filter, None
    else:
        raise ImproperlyConfigured(
            f"{list_filter!r}: the admin lookup rule knows the parameters of SimpleListFilter "
            "subclasses and of field filters only."
        )
    if isinstance(field, Field):
        path, model_field = field.name, field
    else:
        path, model_field = field, get_fields_from_path(model, field)[-1]
    if filter_class is None:  # what FieldListFilter.create would choose
        filter_class = next(
            cls
            for test, cls in admin_filters.FieldListFilter._field_list_filters  # type: ignore[attr-defined]
            if test(model_field)
        )
    for base, parameters in FIELD_FILTER_PARAMETERS:
        if issubclass(filter_class, base):
            if filter_class.expected_parameters is not base.expected_parameters:
                break  # its own parameters: unknown here
            return parameters(path, model_field)
    raise ImproperlyConfigured(
        f"{filter_class.__qualname__} on {path}: the admin lookup rule does not know the "
        "parameters this filter reads; use a SimpleListFilter, or name them in linked_lookups."
    )


class OfferedLookupsMixin:
    """An admin list accepts only the lookups its own filters offer.

    Django's ModelAdmin.lookup_allowed accepts any lookup on a local field, so
    `?id=1&phone__startswith=1330` answered "1 条结果" or "0 条结果": an oracle for every
    masked value. Here a list (and everything built on its ChangeList, such as
    import-export's export view) accepts only
    - the parameters of its `list_filter` entries, as Django's filter classes read them
      (`kind__exact`, `kind__isnull`, `occurred_on__gte`/`__lt`, `tags__id__exact`, a
      SimpleListFilter's `parameter_name`),
    - its date hierarchy (`<field>__year`, `__month`, `__day`),
    - the fixed `limit_choices_to` lookups of Django's raw-id popups,
    - `linked_lookups`: the parameters of links the app itself builds to the list.
    Anything else makes ChangeList.get_filters raise DisallowedModelAdminLookup: a 400.
    """

    model: type[Model]
    linked_lookups: ClassVar[Iterable[str]] = ()

    def offered_lookups(self, request: HttpRequest | None) -> set[str]:
        list_filter = (
            self.get_list_filter(request)  # type: ignore[attr-defined]
            if request is not None
            else self.list_filter  # type: ignore[attr-defined]
        )
        offered = set(self.linked_lookups)
        for entry in list_filter:
            offered.update(filter_parameters(self.model, entry))
        hierarchy = self.date_hierarchy  # type: ignore[attr-defined]
        if hierarchy:
            offered.update(f"{hierarchy}__{part}" for part in ("year", "month", "day"))
        return offered

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup in self.offered_lookups(request):
            return True
        # Django's raw-id popup of a ForeignKey with limit_choices_to: that exact value only.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False


def offer_only_filter_lookups(site: admin.AdminSite) -> None:
    """Re-register every admin of `site` that lacks OfferedLookupsMixin with it mixed in
    (Django's User and Group admins, DRF's Token admin, any other app's)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, OfferedLookupsMixin):
            continue
        cls = type(model_admin)
        held = type(cls.__name__, (OfferedLookupsMixin, cls), {"__module__": cls.__module__})
        site.unregister(model)
        site.register(model, held)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id widget that names the chosen object only if the form field offers it
    (Django's looks the id up in the whole table)."""

    def __init__(self, rel: Any, admin_site: Any, *, queryset: QuerySet[Any], **kwargs: Any):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            offered = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            offered = False
        return super().label_and_url_for_value(value) if offered else ("", "")


class WellFormedValuesMixin:
    """An autocomplete that shows only chosen values of the target's key type.

    Django's looks the chosen values up as they came: `?household=abc`, or a
    posted `abc`, raised ValueError (a 500) while the form was drawn.
    """

    field: Any

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or "pk")
        well_formed = []
        for item in value:
            try:
                key.to_python(item)
            except ValidationError:
                continue
            well_formed.append(item)
        return super().optgroups(name, well_formed, attr)  # type: ignore[misc]


class WellFormedAutocompleteSelect(WellFormedValuesMixin, AutocompleteSelect):
    pass


class WellFormedAutocompleteSelectMultiple(WellFormedValuesMixin, AutocompleteSelectMultiple):
    pass


class JurisdictionAdminMixin(OfferedLookupsMixin):
    """Scope the changelist, autocomplete, every foreign-key choice and widget, and accept
    only the lookups the list's filters offer."""

    model: type[Model]

    def scoped(self, model: type[Model], user: Any) -> QuerySet[Any]:
        """The jurisdiction-scoped queryset of `model`; other apps extend this."""
        return selectors.visible(model, user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = self.scoped(self.model, request.user)
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        return qs.order_by(*ordering) if ordering else qs

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Outside the jurisdiction and nonexistent look the same: a plain 404.
        raise Http404

    def _well_formed_autocomplete(
        self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any], widget: type[Any]
    ) -> None:
        """The autocomplete widget Django would give the field, drawing only well-formed values."""
        if db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs.setdefault(
                "widget",
                widget(db_field, self.admin_site, using=kwargs.get("using")),  # type: ignore[attr-defined]
            )

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # KeyError: not a model with a jurisdiction (e.g. the user who imported).
        with contextlib.suppress(KeyError):
            kwargs["queryset"] = self.scoped(db_field.remote_field.model, request.user)
        self._well_formed_autocomplete(db_field, request, kwargs, WellFormedAutocompleteSelect)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and type(field.widget) is ForeignKeyRawIdWidget:
            # An id in the query string (?person=…) is named only if it is in the field's scope.
            field.widget = ScopedRawIdWidget(
                db_field.remote_field,
                field.widget.admin_site,
                queryset=field.queryset,
                using=field.widget.db,
            )
        return field

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        with contextlib.suppress(KeyError):
            kwargs["queryset"] = self.scoped(db_field.remote_field.model, request.user)
        self._well_formed_autocomplete(
            db_field, request, kwargs, WellFormedAutocompleteSelectMultiple
        )
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class PersonalDataAuditMixin:
    """Logs every changelist page and detail page that showed personal data in full."""

    audit_list_label: Any
    audit_detail_label: Any

    def log_shown(self, request: HttpRequest, what: str, ids: list[int]) -> None:
        """Audit the rows a page showed; an admin whose unmasking rule differs overrides this."""
        personal_data.log_if_unmasked(user=request.user, what=what, ids=ids)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if hasattr(response, "context_data") and "cl" in response.context_data:
            ids = [row.pk for row in response.context_data["cl"].result_list]
            self.log_shown(request, str(self.audit_list_label), ids)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            self.log_shown(request, str(self.audit_detail_label), [int(object_id)])
        return response


class SelectorSearchMixin:
    """The search box filters by a selector's Q (a full ID number or phone finds the
    person though the list shows it masked), not by search_fields' icontains."""

    search_q: Callable[[str], Q]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not search_term:
            return queryset, False
        return queryset.filter(self.search_q(search_term)), False
