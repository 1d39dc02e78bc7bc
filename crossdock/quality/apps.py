from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "crossdock.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from crossdock.core import events
        from crossdock.core.checks import register_check
        from crossdock.inventory.events import TransferChanged
        from crossdock.purchasing.scorecards import register_rejection_source
        from crossdock.quality import checks, selectors
        from crossdock.quality.services.inspections import receipt_done

        events.subscribe(TransferChanged)(receipt_done)
        register_rejection_source(selectors.rejections_by_supplier)
        register_check("quality inspections add up", checks.inspections_add_up)
        register_check("quality pending inspections sit in quality hold", checks.held_in_quality)
