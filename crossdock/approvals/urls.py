"""Approvals screens under ``/approvals/``."""

from django.urls import path

from crossdock.approvals.views import delegations, inbox, policies, requests

app_name = "approvals"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("bulk-approve/", inbox.bulk_approve, name="bulk_approve"),
    path("notifications/read/", inbox.mark_read, name="mark_read"),
    path("requests/", requests.request_list, name="request_list"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path(
        "requests/<int:pk>/approve/", inbox.decide, {"verdict": "approve"}, name="request_approve"
    ),
    path("requests/<int:pk>/reject/", inbox.decide, {"verdict": "reject"}, name="request_reject"),
    path("policies/", policies.policy_list, name="policy_list"),
    path("policies/new/", policies.policy_edit, name="policy_create"),
    path("policies/simulate/", policies.simulate, name="simulate"),
    path("policies/<int:pk>/", policies.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", policies.policy_edit, name="policy_edit"),
    path(
        "policies/<int:pk>/activate/",
        policies.policy_status,
        {"status": "active"},
        name="policy_activate",
    ),
    path(
        "policies/<int:pk>/retire/",
        policies.policy_status,
        {"status": "retired"},
        name="policy_retire",
    ),
    path("delegations/", delegations.delegations, name="delegations"),
    path("metrics/", policies.metrics, name="metrics"),
]
