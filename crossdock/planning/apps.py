from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "crossdock.planning"
    label = "planning"
    verbose_name = "Planning"
