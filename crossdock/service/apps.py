from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "crossdock.service"
    label = "service"
    verbose_name = "Service"
