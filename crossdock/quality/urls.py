"""Quality screens under ``/quality/``."""

from django.urls import path

from crossdock.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.inspection_queue, name="queue"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_form, name="plan_create"),
    path("plans/<int:pk>/", views.plan_form, name="plan_edit"),
    path("nonconformances/", views.nonconformance_list, name="nonconformance_list"),
    path("nonconformances/<int:pk>/", views.nonconformance_detail, name="nonconformance_detail"),
    path(
        "nonconformances/<int:pk>/return/",
        views.nonconformance_return,
        name="nonconformance_return",
    ),
]
