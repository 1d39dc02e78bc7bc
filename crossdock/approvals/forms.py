"""Forms of the approvals screens: decisions, the policy editor, simulation and delegations.

Forms only parse and check the shape of the input. Every business rule is the
engine's (:func:`~crossdock.approvals.policies.check_draft`,
:func:`~crossdock.approvals.services.decide`, …); :func:`show_policy_error`
puts its refusal back onto the policy form and the level it names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet

from crossdock.approvals import registry
from crossdock.approvals.models import ApprovalLevel, ApprovalPolicy, ApproverRule
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.approvals.selectors import colleagues
from crossdock.core.errors import DomainError
from crossdock.core.models import User
from crossdock.core.permissions import access_of
from crossdock.masterdata.models import Company
from crossdock.web.forms import add_domain_error

MAX_LEVELS = 20
MAX_CONDITION_CHARS = 20_000
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVEL_KEY = re.compile(r"^levels\[(\d+)\]")


def companies_of(user: Any) -> QuerySet[Company]:
    company_ids = access_of(user).company_ids
    companies = Company.objects.order_by("code")
    return companies if company_ids is None else companies.filter(pk__in=company_ids)


def users_of(user: Any) -> QuerySet[User]:
    """Active users of the companies ``user`` works in (approvers a policy may name)."""
    users = User.objects.filter(is_active=True)
    company_ids = access_of(user).company_ids
    if company_ids is not None:
        users = users.filter(Q(access__companies__in=company_ids) | Q(pk=user.pk)).distinct()
    return users.order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "—")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "style": "min-height: 2.6rem",
                "placeholder": "Comment (required to reject)",
            }
        ),
    )


class BulkApproveForm(forms.Form):
    """Ids of requests to approve at once; only the low-risk ones waiting for the user."""

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "Select some."})

    def __init__(self, *args: Any, allowed: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in allowed]  # type: ignore[attr-defined]


class PolicyForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none())
    document_type = forms.ChoiceField()
    name = forms.CharField(max_length=200)
    condition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        max_length=MAX_CONDITION_CHARS,
        help_text='JSON, e.g. {"field": "supplier_risk_class", "op": "==", "value": "high"}; '
        'combine with {"all": […]}, {"any": […]}, {"not": …}; decimals as strings.',
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies_of(user)  # type: ignore[attr-defined]
        self.fields["document_type"].choices = [  # type: ignore[attr-defined]
            (t.code, t.label) for t in registry.all_types()
        ]

    def clean_condition(self) -> dict[str, Any]:
        text = self.cleaned_data["condition"]
        try:
            value = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}.") from error
        if not isinstance(value, dict):
            raise forms.ValidationError("The condition is a JSON object ({…}).")
        return value

    @classmethod
    def initial_of(cls, policy: ApprovalPolicy) -> dict[str, Any]:
        return {
            "company": policy.company_id,
            "document_type": policy.document_type,
            "name": policy.name,
            "condition": json.dumps(policy.condition, indent=2),
        }


class LevelForm(forms.Form):
    # What an untouched level posts back (so a blank level is left out, not an error).
    BLANK = {"mode": "parallel", "min_approvals": "1", "manager_depth": "1"}

    name = forms.CharField(max_length=100)
    rule = forms.ChoiceField(choices=[("", "Choose…"), *ApproverRule.choices])
    role = forms.ChoiceField(required=False, help_text="For the rule “anyone with a role”.")
    user = UserChoiceField(
        queryset=User.objects.none(), required=False, help_text="For the rule “a named user”."
    )
    mode = forms.ChoiceField(choices=ApprovalLevel.Mode.choices, initial="parallel")
    min_approvals = forms.IntegerField(min_value=1, max_value=100, initial=1)
    manager_depth = forms.IntegerField(
        min_value=1, max_value=20, initial=1, help_text="How far up the manager chain."
    )
    sla_hours = forms.IntegerField(min_value=1, max_value=8760, required=False, label="SLA hours")
    escalate_to = UserChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = users_of(user)
        self.fields["user"].queryset = people  # type: ignore[attr-defined]
        self.fields["escalate_to"].queryset = people  # type: ignore[attr-defined]
        roles = Group.objects.order_by("name").values_list("name", flat=True)
        self.fields["role"].choices = [("", "—"), *((r, r) for r in roles)]  # type: ignore[attr-defined]

    def draft(self) -> LevelDraft:
        data = self.cleaned_data
        return LevelDraft(
            name=data["name"],
            rule=data["rule"],
            mode=data["mode"],
            min_approvals=data["min_approvals"],
            role=data["role"] if data["rule"] == ApproverRule.ROLE else "",
            user_id=data["user"].pk if data["user"] else None,
            manager_depth=data["manager_depth"],
            sla_hours=data["sla_hours"],
            escalate_to_id=data["escalate_to"].pk if data["escalate_to"] else None,
        )

    @classmethod
    def initial_of(cls, level: ApprovalLevel) -> dict[str, Any]:
        return {
            "name": level.name,
            "rule": level.rule,
            "role": level.role,
            "user": level.user_id,
            "mode": level.mode,
            "min_approvals": level.min_approvals,
            "manager_depth": level.manager_depth,
            "sla_hours": level.sla_hours,
            "escalate_to": level.escalate_to_id,
        }


LevelFormSet = forms.formset_factory(
    LevelForm,
    extra=1,
    can_delete=True,
    max_num=MAX_LEVELS,
    validate_max=True,
    absolute_max=MAX_LEVELS + 5,
)


def level_forms(formset: forms.BaseFormSet) -> list[LevelForm]:
    """The levels the user filled in, in order (deleted and untouched blank rows left out)."""
    return [
        form
        for form in formset.forms
        if form.has_changed() and not (formset.can_delete and form.cleaned_data.get("DELETE"))
    ]


def policy_draft(form: PolicyForm, formset: forms.BaseFormSet) -> PolicyDraft:
    data = form.cleaned_data
    return PolicyDraft(
        company_id=data["company"].pk,
        document_type=data["document_type"],
        name=data["name"],
        condition=data["condition"],
        levels=[level.draft() for level in level_forms(formset)],
    )


def show_policy_error(form: PolicyForm, formset: forms.BaseFormSet, error: DomainError) -> None:
    """Put a refusal of the engine on the field, or the level (``levels[1]``), it names."""
    levels = level_forms(formset)
    rest: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        match = LEVEL_KEY.match(name)
        if match and int(match.group(1)) < len(levels):
            for message in messages:
                levels[int(match.group(1))].add_error(None, message)
        elif name == "levels":
            formset._non_form_errors = formset.error_class(  # type: ignore[attr-defined]
                [*formset.non_form_errors(), *messages]
            )
        else:
            rest[name] = messages
    if rest or not error.fields:
        add_domain_error(form, DomainError(error.message, fields=rest))


class SimulationForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=366, initial=30, required=False, label="Last N days"
    )


class DelegationForm(forms.Form):
    delegate = UserChoiceField(queryset=User.objects.none())
    starts_on = forms.DateField(widget=DATE_INPUT, label="From")
    ends_on = forms.DateField(widget=DATE_INPUT, label="Until (inclusive)")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = colleagues(user)  # type: ignore[attr-defined]
