"""Finance screens under ``/accounting/``."""

from django.urls import path
from django.views.generic import RedirectView

from crossdock.accounting import (
    dunning_views,
    invoice_views,
    landed_views,
    payment_views,
    settings_views,
    statement_views,
    views,
)

app_name = "accounting"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounting:trial_balance"), name="index"),
    path("entries/", views.entry_list, name="entry_list"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/<slug:action>/", views.entry_action, name="entry_action"),
    path("trial-balance/", views.trial_balance, name="trial_balance"),
    path("general-ledger/", views.general_ledger, name="general_ledger"),
    path("ledger-settings/", settings_views.ledger_settings, name="ledger_settings"),
    path("stock-reconciliation/", views.stock_reconciliation, name="stock_reconciliation"),
    path("balance-sheet/", statement_views.balance_sheet, name="balance_sheet"),
    path("profit-and-loss/", statement_views.profit_and_loss, name="profit_and_loss"),
    path(
        "consolidated/balance-sheet/",
        statement_views.consolidated_balance_sheet,
        name="consolidated_balance_sheet",
    ),
    path(
        "consolidated/profit-and-loss/",
        statement_views.consolidated_profit_and_loss,
        name="consolidated_profit_and_loss",
    ),
    path("aged-receivables/", statement_views.aged_receivables, name="aged_receivables"),
    path("aged-payables/", statement_views.aged_payables, name="aged_payables"),
    path("grni/", statement_views.grni, name="grni"),
    path("invoices/", invoice_views.invoice_list, name="invoice_list"),
    path("invoices/new/", invoice_views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", invoice_views.invoice_pdf_download, name="invoice_pdf"),
    path("invoices/<int:pk>/edit/", invoice_views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/<slug:action>/", invoice_views.invoice_action, name="invoice_action"),
    path(
        "invoices/from-<slug:source>/<int:transfer_id>/",
        invoice_views.invoice_from_transfer,
        name="invoice_from_transfer",
    ),
    path("dunning/", dunning_views.dunning_overview, name="dunning"),
    path("dunning/levels/", dunning_views.dunning_levels, name="dunning_levels"),
    path("dunning/run/", dunning_views.dunning_run, name="dunning_run"),
    path("dunning/letters/<int:pk>/", dunning_views.letter_detail, name="dunning_letter"),
    path("dunning/letters/<int:pk>/pdf/", dunning_views.letter_pdf, name="dunning_letter_pdf"),
    path(
        "dunning/letters/<int:pk>/<slug:action>/",
        dunning_views.letter_action,
        name="dunning_letter_action",
    ),
    path("payments/", payment_views.payment_list, name="payment_list"),
    path("payments/new/", payment_views.payment_create, name="payment_create"),
    path("payments/<int:pk>/", payment_views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/allocate/", payment_views.payment_allocate, name="payment_allocate"),
    path("payment-runs/", payment_views.run_list, name="run_list"),
    path("payment-runs/new/", payment_views.run_create, name="run_create"),
    path("payment-runs/<int:pk>/", payment_views.run_detail, name="run_detail"),
    path("payment-runs/<int:pk>/<slug:action>/", payment_views.run_action, name="run_action"),
    path("landed-costs/", landed_views.landed_cost_list, name="landed_cost_list"),
    path("landed-costs/new/", landed_views.landed_cost_create, name="landed_cost_create"),
    path("landed-costs/<int:pk>/", landed_views.landed_cost_detail, name="landed_cost_detail"),
    path(
        "landed-costs/<int:pk>/<slug:action>/",
        landed_views.landed_cost_action,
        name="landed_cost_action",
    ),
]
