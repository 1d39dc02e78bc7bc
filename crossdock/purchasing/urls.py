"""Purchasing screens under ``/purchasing/``."""

from django.urls import path

from crossdock.purchasing import import_views, settings_views, sourcing_views, views

app_name = "purchasing"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/pdf/", views.order_pdf_download, name="order_pdf"),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/receive/", views.order_receive, name="order_receive"),
    path("orders/<int:pk>/bill/", views.order_bill, name="order_bill"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("receipts/", views.expected_receipts, name="receipts"),
    path("catalogue/", views.catalogue_list, name="catalogue"),
    path("catalogue/new/", views.offer_create, name="offer_create"),
    path("catalogue/import/", import_views.catalogue_import, name="catalogue_import"),
    path("catalogue/<int:pk>/", views.offer_edit, name="offer_edit"),
    path("matches/", views.match_queue, name="match_queue"),
    path("matches/import/", import_views.bill_import, name="bill_import"),
    path("matches/<int:invoice_id>/<slug:action>/", views.match_action, name="match_action"),
    path("requisitions/", sourcing_views.requisition_list, name="requisition_list"),
    path("requisitions/new/", sourcing_views.requisition_create, name="requisition_create"),
    path("requisitions/<int:pk>/", sourcing_views.requisition_detail, name="requisition_detail"),
    path(
        "requisitions/<int:pk>/<slug:action>/",
        sourcing_views.requisition_action,
        name="requisition_action",
    ),
    path("rfqs/", sourcing_views.rfq_list, name="rfq_list"),
    path("rfqs/<int:pk>/", sourcing_views.rfq_detail, name="rfq_detail"),
    path(
        "rfqs/<int:pk>/quotes/import/",
        sourcing_views.rfq_quote_import,
        name="rfq_quote_import",
    ),
    path(
        "rfqs/<int:pk>/quotes/template/",
        sourcing_views.rfq_quote_template,
        name="rfq_quote_template",
    ),
    path("rfqs/<int:pk>/<slug:action>/", sourcing_views.rfq_action, name="rfq_action"),
    path("settings/", settings_views.purchasing_settings, name="settings"),
    path("scorecards/", views.scorecard_list, name="scorecards"),
    path("scorecards/apply/", views.scorecard_apply, name="scorecard_apply"),
    path("scorecards/<int:supplier_id>/", views.scorecard_detail, name="scorecard_detail"),
    path("exceptions/", views.exception_queue, name="exceptions"),
    path("exceptions/refresh/", views.exception_refresh, name="exception_refresh"),
    path("exceptions/<int:pk>/resend/", views.exception_resend, name="exception_resend"),
]
