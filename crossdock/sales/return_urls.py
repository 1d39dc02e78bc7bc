"""Customer return screens under ``/sales/returns/``."""

from django.urls import path

from crossdock.sales import return_views as views

app_name = "sales_returns"
urlpatterns = [
    path("", views.return_list, name="list"),
    path("new/", views.return_create, name="create"),
    path("<int:pk>/", views.return_page, name="detail"),
    path("<int:pk>/submit/", views.return_submit, name="submit"),
    path("<int:pk>/receive/", views.return_receive, name="receive"),
    path("<int:pk>/resolve/", views.return_resolve, name="resolve"),
    path("<int:pk>/cancel/", views.return_cancel, name="cancel"),
]
