from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "crossdock.accounting"
    label = "accounting"
    verbose_name = "Accounting"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crossdock.accounting import checks, governance  # noqa: F401 (registers types)
        from crossdock.accounting.events import InvoiceChanged
        from crossdock.accounting.services.invoice_sources import mirror_posted_invoice
        from crossdock.accounting.services.ledger import company_created, ensure_all_ledgers
        from crossdock.accounting.services.valuation import post_stock_valuation
        from crossdock.accounting.transfer_links import transfer_invoice_actions
        from crossdock.core import events
        from crossdock.core.checks import register_check
        from crossdock.inventory.events import StockValued
        from crossdock.inventory.extensions import register_transfer_actions

        events.subscribe(events.RecordChanged)(company_created)
        events.subscribe(StockValued)(post_stock_valuation)
        events.subscribe(InvoiceChanged)(mirror_posted_invoice)
        register_transfer_actions(transfer_invoice_actions)
        post_migrate.connect(
            ensure_all_ledgers, sender=self, dispatch_uid="crossdock.accounting.ledgers"
        )
        register_check("accounting posted entries balanced", checks.posted_entries_balanced)
        register_check("accounting trial balance zero", checks.trial_balance_zero)
        register_check("accounting stock accounts = valuation layers", checks.stock_matches_layers)
        register_check("accounting open items = allocations", checks.open_items_match_allocations)
        register_check("accounting payments unallocated = allocations", checks.payments_match)
        register_check("accounting invoice open amounts = open items", checks.invoices_match_items)
        register_check("accounting sub-ledgers = control accounts", checks.subledgers_match_control)
        register_check("accounting GRNI per receipt = GRNI account", checks.grni_matches_ledger)
        register_check(
            "accounting invoice dunning levels = letters", checks.dunning_levels_match_letters
        )
