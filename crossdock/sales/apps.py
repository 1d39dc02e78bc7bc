from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "crossdock.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        from crossdock.accounting.events import InvoiceChanged, PaymentChanged
        from crossdock.core import events
        from crossdock.core.checks import register_check
        from crossdock.inventory.events import TransferChanged
        from crossdock.sales import (  # noqa: F401 (registers types)
            checks,
            governance,
            returns_governance,
        )
        from crossdock.sales.services.credit import payment_changed
        from crossdock.sales.services.progress import invoice_changed, transfer_changed

        events.subscribe(TransferChanged)(transfer_changed)
        events.subscribe(InvoiceChanged)(invoice_changed)
        events.subscribe(PaymentChanged)(payment_changed)
        register_check(
            "sales shipped and invoiced quantities = moves and invoices", checks.progress
        )
