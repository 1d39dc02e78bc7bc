from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "crossdock.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from crossdock.core.checks import register_check
        from crossdock.inventory.checks import quants_match_moves

        register_check("inventory quants = done moves", quants_match_moves)
        from crossdock.inventory.services import (
            adjustments,  # noqa: F401 - registers the type
            counts,  # noqa: F401 - closes counted sheets
        )
