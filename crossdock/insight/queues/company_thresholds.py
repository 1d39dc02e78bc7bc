"""A company's own exception-queue thresholds: read them all, change some.

Design overview
---------------
:func:`queue_thresholds_for` gives the company's row (unsaved, version 0, while it
runs on the deployment's values). :func:`update_queue_thresholds` takes only the names
to change — a whole number from 0 to :data:`MAX_VALUE`, or ``None`` to go back to the
deployment's value — checks every one first (a known name, the number, and that a
medium severity does not start after a high one) and refuses them all at once naming
each; nothing is written then. Saving goes through
:func:`~crossdock.core.company_settings.save_company_settings`, like the sales,
purchasing and planning settings: scope, row lock, ``expected_version``, audit and
the ``insight.queuethresholds.created`` / ``.updated`` event.

The refresh reads the values when it runs (:mod:`crossdock.insight.queues.thresholds`),
so a change applies from the next refresh on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossdock.core.company_settings import (
    save_company_settings,
    settings_for,
    settings_version,
    whole_number,
)
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.insight.models import QueueThresholds
from crossdock.insight.queues.thresholds import DEFAULTS, deployment_values

MAX_VALUE = 100_000


def queue_thresholds_for(company_id: int) -> QueueThresholds:
    """The company's saved thresholds row, or an unsaved one while it has none."""
    return settings_for(QueueThresholds, company_id)


def effective_values(row: QueueThresholds) -> dict[str, int]:
    """Every threshold as it applies with the row's values."""
    own = {k: int(v) for k, v in row.values.items() if k in DEFAULTS}
    return {**deployment_values(), **own}


def check_thresholds(current: QueueThresholds, data: Mapping[str, Any]) -> dict[str, int]:
    """The company's values after the change; raises naming every bad name at once."""
    problems: dict[str, list[str]] = {}
    values = {k: int(v) for k, v in current.values.items() if k in DEFAULTS}
    for name, value in data.items():
        if name not in DEFAULTS:
            problems[name] = ["Not a queue threshold."]
        elif value is None:
            values.pop(name, None)
        else:
            number = whole_number(value, name, 0, MAX_VALUE, problems)
            if number is not None:
                values[name] = number
    applied = {**deployment_values(), **values}
    if not problems and applied["medium_after_days"] > applied["high_after_days"]:
        problems["high_after_days"] = [
            f"At least medium_after_days ({applied['medium_after_days']})."
        ]
    refuse_if(problems)
    return dict(sorted(values.items()))


def update_queue_thresholds(
    actor: Actor,
    company_id: Any,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> QueueThresholds:
    """Change some of the company's thresholds (the others keep their values)."""
    current = queue_thresholds_for(company_id) if isinstance(company_id, int) else None
    values = check_thresholds(current or QueueThresholds(), data)
    if expected_version is None and current is not None:
        # the values were merged with the version read just now: refuse a save in between
        expected_version = settings_version(current)
    return save_company_settings(
        actor, QueueThresholds, company_id, {"values": values},
        expected_version=expected_version, what="queue thresholds",
    )  # fmt: skip
