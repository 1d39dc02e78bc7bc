"""Background tasks of purchasing (``crossdock worker`` runs them)."""

from django.tasks import task

from crossdock.purchasing.documents import email_order


@task()
def email_purchase_order(order_id: int) -> bool:
    """E-mail a sent order with its PDF to the supplier; ``False`` when there is no address."""
    return email_order(order_id)
