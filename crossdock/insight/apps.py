from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "crossdock.insight"
    label = "insight"
    verbose_name = "Insight"

    def ready(self) -> None:
        # Importing the definitions fills the KPI registry.
        from crossdock.insight import definitions  # noqa: F401

        # Importing the sources and actions fills the exception-queue registry, the anomaly
        # sources included (a module is imported once, so nothing registers twice).
        from crossdock.insight.anomalies import sources as anomaly_sources  # noqa: F401
        from crossdock.insight.queues import actions, sources  # noqa: F401
