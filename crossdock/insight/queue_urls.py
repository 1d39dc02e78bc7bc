"""Exception-queue screens under ``/insight/queues/``."""

from django.urls import path

from crossdock.insight import queue_views as views
from crossdock.insight.threshold_views import thresholds_page

app_name = "insight_queues"
urlpatterns = [
    path("", views.queue_list, name="list"),
    path("thresholds/", thresholds_page, name="thresholds"),
    path("items/<int:pk>/run/", views.run_item_action, name="run"),
    path("items/<int:pk>/dismiss/", views.dismiss_item, name="dismiss"),
    path("items/<int:pk>/assign/", views.assign_item, name="assign"),
    path("items/<int:pk>/snooze/", views.snooze_item, name="snooze"),
    path("<slug:queue>/", views.queue_items, name="items"),
]
