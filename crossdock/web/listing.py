"""One list page of a record type, read from the query string.

``RecordListing`` turns ``?q=&company=&<filter>=&sort=&page=&per_page=`` into a
queryset that always starts from ``restrict(user, "view")``, then narrows it
to the chosen company, the search terms and the filters, and orders it. The
list view pages it; the export view hands the same queryset to the exporter.
Every parameter is validated: a value that makes no sense is ignored, never a
500.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.registry import RecordType
from crossdock.web.display import Shown, detail_url, field_label, show_field, show_value
from crossdock.web.workspace import ALL_COMPANIES, Workspace

PER_PAGE_CHOICES = (25, 50, 100)
DEFAULT_PER_PAGE = 50
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 6
MAX_OPTIONS = 500
BOOLEAN_OPTIONS = (("true", "Yes"), ("false", "No"))


@dataclass(frozen=True)
class FilterControl:
    name: str
    label: str
    options: tuple[tuple[str, str], ...]
    selected: str


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    sort_url: str  # empty when the column is not sortable
    direction: str  # "asc", "desc" or ""


@dataclass(frozen=True)
class Row:
    url: str
    cells: tuple[Shown, ...]


def clean_text(value: str, limit: int = MAX_SEARCH_LENGTH) -> str:
    """Whitespace collapsed, NUL characters dropped (PostgreSQL refuses them), length capped."""
    return " ".join(value.replace("\x00", " ").split())[:limit]


def _is_multi_valued(model: type[models.Model], path: str) -> bool:
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.one_to_many or field.many_to_many:
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


def _valid_id(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 18


class RecordListing:
    def __init__(
        self, record_type: RecordType, user: Any, params: QueryDict, workspace: Workspace
    ) -> None:
        self.record_type = record_type
        self.model: type[models.Model] = record_type.model
        self.user = user
        self.params = QueryDict(mutable=True)
        for name, values in params.lists():
            kept = [v for v in values if v]
            if kept:
                self.params.setlist(name, kept)
        self.workspace = workspace

    # -- scope and company ---------------------------------------------------------------

    @cached_property
    def scoped(self) -> QuerySet[Any]:
        """Everything the user may view: the security boundary, before any convenience filter."""
        return self.record_type.model.objects.restrict(self.user, "view")

    @cached_property
    def company_path(self) -> str | None:
        """How rows reach their company, for company-bound types (not companies themselves)."""
        path = getattr(self.model, "company_path", None)
        return None if path in (None, "pk") else path

    @cached_property
    def company(self) -> str:
        """The chosen company id, ``"all"``, or ``""`` for group-wide record types."""
        if self.company_path is None:
            return ""
        raw = self.params.get("company", "")
        if raw == ALL_COMPANIES:
            return ALL_COMPANIES
        chosen = self.workspace.company(raw) if _valid_id(raw) else None
        if chosen is None:
            chosen = self.workspace.current
        return ALL_COMPANIES if chosen is None else str(chosen.pk)

    @property
    def company_options(self) -> tuple[tuple[str, str], ...]:
        if self.company_path is None:
            return ()
        mine = ((str(c.pk), c.name) for c in self.workspace.companies)
        return ((ALL_COMPANIES, "All my companies"), *mine)

    @cached_property
    def in_company(self) -> QuerySet[Any]:
        if self.company in ("", ALL_COMPANIES):
            return self.scoped
        return self.scoped.filter(**{self.company_path or "": int(self.company)})

    # -- search --------------------------------------------------------------------------

    @cached_property
    def search(self) -> str:
        return clean_text(self.params.get("q", ""))

    def _search_condition(self) -> Q:
        condition = Q()
        for term in self.search.split()[:MAX_SEARCH_TERMS]:
            any_field = Q()
            for path in self.record_type.search_fields:
                lookup = Q(**{f"{path}__icontains": term})
                if _is_multi_valued(self.model, path):
                    # A subquery instead of a join keeps one row per record without DISTINCT.
                    lookup = Q(pk__in=self.model._default_manager.filter(lookup).values("pk"))
                any_field |= lookup
            condition &= any_field
        return condition

    # -- filters -------------------------------------------------------------------------

    @cached_property
    def filter_fields(self) -> tuple[models.Field, ...]:
        names = [n for n in self.record_type.filter_fields if n != self.company_path]
        return tuple(self.model._meta.get_field(n) for n in names)  # type: ignore[misc]

    def _selected(self, field: models.Field) -> str:
        raw = self.params.get(field.name, "")
        if not raw:
            return ""
        if isinstance(field, models.BooleanField):
            return raw if raw in ("true", "false") else ""
        if field.choices:
            return raw if raw in {str(value) for value, _ in field.flatchoices} else ""
        if isinstance(field, models.ForeignKey):
            return raw if _valid_id(raw) else ""
        try:
            field.to_python(clean_text(raw))
        except (ValidationError, ValueError, TypeError):
            return ""
        return clean_text(raw)

    @cached_property
    def selected_filters(self) -> dict[str, str]:
        chosen = {f.name: self._selected(f) for f in self.filter_fields}
        return {name: value for name, value in chosen.items() if value}

    def _condition(self, field: models.Field, value: str) -> Q:
        if isinstance(field, models.BooleanField):
            return Q(**{field.name: value == "true"})
        if isinstance(field, models.ForeignKey):
            return Q(**{field.attname: int(value)})
        return Q(**{field.name: field.to_python(value)})

    def _options(self, field: models.Field) -> tuple[tuple[str, str], ...]:
        if isinstance(field, models.BooleanField):
            return BOOLEAN_OPTIONS
        if field.choices:
            return tuple((str(v), str(label)) for v, label in field.flatchoices if v != "")
        if isinstance(field, models.ForeignKey):
            # Only rows referenced by records the user can see: nothing else is revealed.
            related: Any = field.related_model
            used = related._default_manager.filter(
                pk__in=self.in_company.order_by().values(field.attname)
            )
            return tuple((str(obj.pk), str(obj)) for obj in used[:MAX_OPTIONS])
        values = (
            self.in_company.exclude(**{f"{field.name}__isnull": True})
            .order_by(field.name)
            .values_list(field.name, flat=True)
            .distinct()[:MAX_OPTIONS]
        )
        return tuple((str(v), show_value(v, field).text) for v in values if v != "")

    def filter_controls(self) -> list[FilterControl]:
        controls = []
        for field in self.filter_fields:
            options = self._options(field)
            selected = self.selected_filters.get(field.name, "")
            if selected and selected not in {value for value, _ in options}:
                options = ((selected, f"#{selected}"), *options)
            controls.append(
                FilterControl(field.name, field_label(self.model, field.name), options, selected)
            )
        return controls

    # -- ordering and the final queryset -------------------------------------------------

    @cached_property
    def sort(self) -> str:
        raw = self.params.get("sort", "")
        allowed = {*self.record_type.ordering_fields}
        return raw if raw.removeprefix("-") in allowed else ""

    def queryset(self) -> QuerySet[Any]:
        queryset = self.in_company
        if self.search:
            queryset = queryset.filter(self._search_condition())
        fields = {f.name: f for f in self.filter_fields}
        for name, value in self.selected_filters.items():
            queryset = queryset.filter(self._condition(fields[name], value))
        ordering = [self.sort] if self.sort else list(self.model._meta.ordering or ())
        related = self._select_related()
        if related:
            queryset = queryset.select_related(*related)
        return queryset.order_by(*ordering, "pk")

    def _select_related(self) -> list[str]:
        names = list(self.record_type.select_related)
        for name in self.record_type.list_fields:
            field = self.model._meta.get_field(name)
            if isinstance(field, models.ForeignKey) and name not in names:
                names.append(name)
        return names

    # -- the page ------------------------------------------------------------------------

    @cached_property
    def per_page(self) -> int:
        raw = self.params.get("per_page", "")
        return int(raw) if raw in {str(n) for n in PER_PAGE_CHOICES} else DEFAULT_PER_PAGE

    def page(self) -> Page[Any]:
        paginator = Paginator(self.queryset(), self.per_page)
        return paginator.get_page(self.params.get("page"))

    def url(self, **changes: str | None) -> str:
        """This list's query string with some parameters changed (``None`` removes one)."""
        params = self.params.copy()
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        encoded = params.urlencode()
        return f"?{encoded}" if encoded else ""

    def columns(self) -> list[Column]:
        columns = []
        for name in self.record_type.list_fields:
            sort_url, direction = "", ""
            if name in self.record_type.ordering_fields:
                direction = {name: "asc", f"-{name}": "desc"}.get(self.sort, "")
                target = f"-{name}" if direction == "asc" else name
                sort_url = self.url(sort=target, page=None)
            columns.append(Column(name, field_label(self.model, name), sort_url, direction))
        return columns

    def rows(self, objects: Iterable[Any]) -> list[Row]:
        may_view: dict[type[models.Model], bool] = {}

        def may_link(model: type[models.Model]) -> bool:
            if model not in may_view:
                may_view[model] = has_model_permission(self.user, model, "view")
            return may_view[model]

        return [
            Row(
                detail_url(obj),
                tuple(show_field(obj, name, may_link) for name in self.record_type.list_fields),
            )
            for obj in objects
        ]

    def page_url(self) -> str:
        """Where the browser should say it is after a partial refresh (no empty parameters)."""
        return reverse("web:record_list", args=[self.record_type.slug]) + self.url()

    def export_url(self, fmt: str) -> str:
        base = reverse("web:record_export", args=[self.record_type.slug, fmt])
        params = self.params.copy()
        for name in ("page", "per_page"):
            params.pop(name, None)
        if self.company_path is not None:
            params["company"] = self.company
        encoded = params.urlencode()
        return f"{base}?{encoded}" if encoded else base
