"""Forms of the web shell: record forms built from the registry, imports, audit filters.

A record form only parses and checks the input's shape (types, required
fields, choices). Business rules are the service's: the form skips the model
validation ModelForm would run, the view passes ``cleaned_data`` to the
record type's service and :func:`add_domain_error` puts a refusal back onto
the fields it names.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.db import models

from crossdock.core.errors import DomainError
from crossdock.core.fields import FixedDecimalField
from crossdock.core.permissions import access_of
from crossdock.masterdata.models import Company
from crossdock.masterdata.registry import RecordType

MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_EXTENSIONS = (".csv", ".xlsx")


class RecordForm(forms.ModelForm):
    """Base of every generated record form; ``version`` carries optimistic concurrency."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        editing = self.instance.pk is not None
        self.fields["version"].required = editing
        if editing:
            self.initial.setdefault("version", self.instance.version)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = self._choices(name, field.queryset.model)
        self._style_widgets()

    def _choices(self, name: str, model: type[models.Model]) -> models.QuerySet[Any]:
        """Only rows the user may view; a company field offers the user's own companies."""
        choices: models.QuerySet[Any]
        if model is Company:
            company_ids = access_of(self.user).company_ids
            choices = Company.objects.all()
            if company_ids is not None:
                choices = choices.filter(pk__in=company_ids)
        elif hasattr(model._default_manager, "restrict"):
            choices = model._default_manager.restrict(self.user, "view")
        else:
            choices = model._default_manager.none()
        current = getattr(self.instance, f"{name}_id", None)
        if current is not None:
            # Keep the value already saved selectable, so other fields can still be edited.
            choices = choices | model._default_manager.filter(pk=current)
        return choices

    def _style_widgets(self) -> None:
        opts = self._meta.model._meta
        for name, field in self.fields.items():
            model_field = opts.get_field(name) if name != "version" else None
            if isinstance(model_field, FixedDecimalField):
                field.widget = forms.TextInput(attrs={"inputmode": "decimal"})
            elif isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def _post_clean(self) -> None:
        """Skip ModelForm's model validation: the service validates once, in its transaction."""

    def record_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return None if value is None else int(value)


@cache
def record_form_class(record_type: RecordType) -> type[RecordForm]:
    return forms.modelform_factory(  # type: ignore[return-value]
        record_type.model, form=RecordForm, fields=list(record_type.form_fields)
    )


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's refusal on the form: each named field, the rest above the form."""
    general: list[str] = []
    for name, messages in error.fields.items():
        field = form.fields.get(name)
        if field is not None and not field.widget.is_hidden:
            for message in messages:
                form.add_error(name, message)
        elif name == "__all__":
            general.extend(messages)
        elif error.message not in general:
            general.append(error.message)
    if not error.fields:
        general.append(error.message)
    for message in general:
        form.add_error(None, message)


class ConfirmDeleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="A CSV or Excel (.xlsx) file with a header row, like the list's export."
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(IMPORT_EXTENSIONS):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."
            )
        return upload


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(required=False, label="Record type")
    action = forms.ChoiceField(required=False)
    actor = forms.CharField(required=False, max_length=150)
    object_id = forms.CharField(required=False, max_length=64, label="Record id")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        object_types: list[tuple[str, str]],
        actions: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "All record types"), *object_types]  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", "All actions"), *((a, a) for a in actions)]  # type: ignore[attr-defined]
