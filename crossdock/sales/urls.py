"""Sales screens under ``/sales/``."""

from django.urls import path

from crossdock.sales import desk_views, settings_views, views

app_name = "sales"
urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/panel/", views.order_panel, name="order_panel"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/panel/", views.order_panel, name="order_edit_panel"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("credit-holds/", desk_views.credit_holds, name="credit_holds"),
    path("customers/<int:pk>/", desk_views.customer_detail, name="customer_detail"),
    path("allocation/", desk_views.allocation, name="allocation"),
    path("settings/", settings_views.sales_settings, name="settings"),
    path("settings/floors/", settings_views.floor_add, name="floor_add"),
    path("settings/floors/<int:pk>/", settings_views.floor_change, name="floor_change"),
    path("settings/floors/<int:pk>/remove/", settings_views.floor_remove, name="floor_remove"),
]
