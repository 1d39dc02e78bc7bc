from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "crossdock.api"
    label = "api"
