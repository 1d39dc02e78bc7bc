from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "crossdock.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing"

    def ready(self) -> None:
        from crossdock.accounting.events import InvoiceChanged
        from crossdock.core import events
        from crossdock.core.checks import register_check
        from crossdock.inventory.events import TransferChanged
        from crossdock.purchasing import checks, governance  # noqa: F401 (registers types)
        from crossdock.purchasing.services.intercompany import arrival_done
        from crossdock.purchasing.services.matching import bill_changed

        events.subscribe(InvoiceChanged)(bill_changed)
        events.subscribe(TransferChanged)(arrival_done)
        register_check("purchasing received quantities = receipt moves", checks.received_match)
