"""Price-list screens under ``/prices/``."""

from django.urls import path

from crossdock.masterdata import price_views

app_name = "prices"
urlpatterns = [
    path("", price_views.price_list_list, name="list"),
    path("<int:pk>/", price_views.price_list_detail, name="detail"),
    path("<int:pk>/propose/", price_views.price_change_create, name="change_create"),
    path("changes/<int:pk>/", price_views.price_change_detail, name="change_detail"),
    path("changes/<int:pk>/submit/", price_views.price_change_submit, name="change_submit"),
]
