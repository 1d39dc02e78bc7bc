from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "crossdock.insight"
    label = "insight"
    verbose_name = "Insight"

    def ready(self) -> None:
        # Importing the definitions fills the KPI registry.
        from crossdock.insight import definitions  # noqa: F401

        # Importing the anomaly sources registers them with the exception queues; a module
        # is imported once, so other modules importing it too register nothing twice.
        from crossdock.insight.anomalies import sources  # noqa: F401
