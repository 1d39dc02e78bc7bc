"""Forms of the accounting screens: report filters and the manual journal entry."""

from __future__ import annotations

from typing import Any

from django import forms

from crossdock.accounting.models import Account, Journal
from crossdock.masterdata.models import Company

DATE = forms.DateInput(attrs={"type": "date"})


class CompanyDateForm(forms.Form):
    company = forms.ModelChoiceField(label="Company", queryset=Company.objects.none())
    as_of = forms.DateField(label="As of", required=False, widget=DATE,
                            help_text="Leave empty for today.")  # fmt: skip

    def __init__(self, *args: Any, companies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]


class LedgerForm(forms.Form):
    account = forms.ModelChoiceField(label="Account", queryset=Account.objects.none())
    since = forms.DateField(label="From", required=False, widget=DATE)
    until = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]


class EntryForm(forms.Form):
    """A manual entry: header plus a fixed number of line rows (empty rows are skipped)."""

    LINES = 6

    journal = forms.ModelChoiceField(label="Journal", queryset=Journal.objects.none())
    date = forms.DateField(label="Date", widget=DATE)
    memo = forms.CharField(label="Memo", max_length=200, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["journal"].queryset = Journal.objects.filter(  # type: ignore[attr-defined]
            company=company
        )
        accounts = Account.objects.filter(company=company, active=True).order_by("code")
        for index in range(self.LINES):
            self.fields[f"account_{index}"] = forms.ModelChoiceField(
                label="Account", queryset=accounts, required=False
            )
            self.fields[f"label_{index}"] = forms.CharField(
                label="Label", max_length=200, required=False
            )
            self.fields[f"debit_{index}"] = forms.DecimalField(
                label="Debit", required=False, min_value=0, decimal_places=4, max_digits=18
            )
            self.fields[f"credit_{index}"] = forms.DecimalField(
                label="Credit", required=False, min_value=0, decimal_places=4, max_digits=18
            )

    def line_rows(self) -> list[list[Any]]:
        return [
            [self[f"{name}_{index}"] for name in ("account", "label", "debit", "credit")]
            for index in range(self.LINES)
        ]
