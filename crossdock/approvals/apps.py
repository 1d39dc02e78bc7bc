from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "crossdock.approvals"
    label = "approvals"
    verbose_name = "Approvals and governance"

    def ready(self) -> None:
        from crossdock.approvals import (  # noqa: F401 - registers the document types
            documents,
            price_changes,
        )
