from django.urls import path

from crossdock.planning import views, views_setup

app_name = "planning"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("run/", views.run_now, name="run"),
    path("items/<int:product>/<int:warehouse>/", views.item_detail, name="item"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("simulations/", views.simulations, name="simulations"),
    path("settings/", views_setup.settings_page, name="settings"),
    path("lanes/", views_setup.lanes_page, name="lanes"),
    path("lanes/<int:pk>/delete/", views_setup.lane_delete, name="lane_delete"),
    path("promotions/", views_setup.promotions_page, name="promotions"),
    path("promotions/<int:pk>/delete/", views_setup.promotion_delete, name="promotion_delete"),
]
