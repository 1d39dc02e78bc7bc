"""Small presentation helpers for the web shell's templates."""

from __future__ import annotations

import datetime

from django import template

register = template.Library()


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """``0:15:00`` → ``15 minutes``; ``1:30:00`` → ``1 hour 30 minutes``."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def page_range(page: object) -> str:
    """``Showing 51–100 of 1,234``-style summary of a paginator page."""
    paginator = getattr(page, "paginator", None)
    if paginator is None or not paginator.count:
        return "No records"
    start = page.start_index()  # type: ignore[attr-defined]
    end = page.end_index()  # type: ignore[attr-defined]
    return f"{start:,}–{end:,} of {paginator.count:,}"


@register.filter
def visible_error_count(form: object) -> int:
    """How many visible fields of ``form`` have errors."""
    fields = getattr(form, "visible_fields", None)
    return sum(1 for field in fields() if field.errors) if fields else 0
