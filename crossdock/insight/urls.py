"""Insight screens under ``/insight/``: the dashboards and the documents behind a KPI."""

from django.urls import path

from crossdock.insight import views

app_name = "insight"
urlpatterns = [
    path("", views.dashboard, name="executive"),
    path("procurement/", views.dashboard, {"code": "procurement"}, name="procurement"),
    path("warehouse/", views.dashboard, {"code": "warehouse"}, name="warehouse"),
    path("finance/", views.dashboard, {"code": "finance"}, name="finance"),
    path("sales/", views.dashboard, {"code": "sales"}, name="sales"),
    path("kpis/<slug:code>/documents/", views.documents, name="documents"),
]
