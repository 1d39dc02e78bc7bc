"""Background tasks of accounting (``crossdock worker`` runs them)."""

from django.tasks import task


@task()
def email_dunning_letter(letter_id: int) -> bool:
    """E-mail a sent dunning letter with its PDF to the customer; ``False`` without an address."""
    from crossdock.accounting.documents import email_letter

    return email_letter(letter_id)
