from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "crossdock.planning"
    label = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from crossdock.core import events
        from crossdock.core.checks import register_check
        from crossdock.inventory.events import TransferChanged
        from crossdock.planning import checks
        from crossdock.planning.services.history import order_changed, transfer_changed
        from crossdock.sales.events import SalesOrderChanged

        events.subscribe(TransferChanged)(transfer_changed)
        events.subscribe(SalesOrderChanged)(order_changed)
        register_check("planning demand history parts add up", checks.demand_adds_up)
