"""Background tasks of purchasing (``crossdock worker`` runs them)."""

from django.tasks import task

from crossdock.core.schedule import every
from crossdock.purchasing.documents import email_order


@task()
def email_purchase_order(order_id: int) -> bool:
    """E-mail a sent order with its PDF to the supplier; ``False`` when there is no address."""
    return email_order(order_id)


@task()
def refresh_purchase_exceptions() -> dict[str, int]:
    """Open and close purchasing exceptions (unconfirmed, late, short); run it every hour."""
    from crossdock.purchasing.services.exceptions import refresh_exceptions

    result = refresh_exceptions()
    return {"opened": result.opened, "closed": result.closed, "open": result.still_open}


@task()
def email_request_for_quotation(rfq_id: int) -> int:
    """E-mail a sent RFQ to each of its suppliers with an address; return how many were sent."""
    from crossdock.purchasing.documents import email_rfq

    return email_rfq(rfq_id)


every(
    "purchasing.exceptions",
    cron="5 * * * *",
    task=refresh_purchase_exceptions,
    description="Open and close the buyers' exceptions (unconfirmed, late, short)",
)
