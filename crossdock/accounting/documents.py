"""Documents accounting sends to partners by e-mail: the dunning letter with its PDF."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage

from crossdock.accounting.models import DunningLetter, DunningLetterState
from crossdock.accounting.pdf import dunning_letter_pdf

logger = logging.getLogger(__name__)


def email_letter(letter_id: int) -> bool:
    """E-mail a sent letter with its PDF to the address it was sent to; ``False`` without one."""
    letter = (
        DunningLetter.objects.select_related("company__base_currency", "partner")
        .filter(pk=letter_id, state=DunningLetterState.SENT)
        .first()
    )
    if letter is None or not letter.email_to:
        return False
    company = letter.company
    message = EmailMessage(
        subject=f"{letter.level_name}: {letter.reference} from {company.name}",
        body=(f"{letter.text}\n\n" if letter.text else "")
        + (
            f"Please find attached our reminder {letter.reference} of {letter.date.isoformat()} "
            f"listing the invoices that are overdue: {company.base_currency.round(letter.total)} "
            f"{company.base_currency.code} in total."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[letter.email_to],
    )
    name = letter.reference.replace("/", "-")
    message.attach(f"{name}.pdf", dunning_letter_pdf(letter), "application/pdf")
    try:
        message.send()
    except OSError:  # the mail server is down: the letter stays sent; it can be re-sent
        logger.warning("could not e-mail dunning letter %s", letter.reference, exc_info=True)
        return False
    return True
