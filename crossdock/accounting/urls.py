"""Finance screens under ``/accounting/``."""

from django.urls import path
from django.views.generic import RedirectView

from crossdock.accounting import landed_views, views

app_name = "accounting"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounting:trial_balance"), name="index"),
    path("entries/", views.entry_list, name="entry_list"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/<slug:action>/", views.entry_action, name="entry_action"),
    path("trial-balance/", views.trial_balance, name="trial_balance"),
    path("general-ledger/", views.general_ledger, name="general_ledger"),
    path("stock-reconciliation/", views.stock_reconciliation, name="stock_reconciliation"),
    path("landed-costs/", landed_views.landed_cost_list, name="landed_cost_list"),
    path("landed-costs/new/", landed_views.landed_cost_create, name="landed_cost_create"),
    path("landed-costs/<int:pk>/", landed_views.landed_cost_detail, name="landed_cost_detail"),
    path(
        "landed-costs/<int:pk>/<slug:action>/",
        landed_views.landed_cost_action,
        name="landed_cost_action",
    ),
]
