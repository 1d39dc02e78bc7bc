"""Service screens under ``/service/``."""

from django.urls import path

from crossdock.service import views

app_name = "service"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("<int:pk>/respond/", views.case_respond, name="case_respond"),
    path("<int:pk>/status/", views.case_move, name="case_move"),
]
