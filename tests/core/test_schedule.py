"""The schedule enqueues each periodic task once per slot, catches up once, obeys overrides."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.models import DBTaskResult

from crossdock.core import schedule
from crossdock.core.models import ScheduledRun
from crossdock.insight.tasks import take_kpi_snapshot
from crossdock.planning.tasks import run_nightly_replenishment
from crossdock.service.tasks import escalate_overdue_service_cases
from tests.parallel import run_together

UTC = datetime.UTC


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_the_apps_declare_their_nightly_work() -> None:
    autodiscover_modules("tasks")  # as `crossdock scheduler` does: whatever ran before
    assert schedule.SCHEDULE["planning.nightly-replenishment"].task is run_nightly_replenishment
    assert schedule.SCHEDULE["insight.kpi-snapshot"].task is take_kpi_snapshot
    assert "purchasing.exceptions" in schedule.SCHEDULE
    escalations = schedule.SCHEDULE["service.escalations"]
    assert (escalations.task, escalations.cron) == (escalate_overdue_service_cases, "*/15 * * * *")


def test_a_bad_cron_expression_is_refused_with_the_entry_name() -> None:
    with pytest.raises(ValueError, match=r"'nightly-typo'.*'61 2 \* \* \*'"):
        schedule.every("nightly-typo", cron="61 2 * * *", task=take_kpi_snapshot, description="x")
    assert "nightly-typo" not in schedule.SCHEDULE


def test_latest_and_next_slot() -> None:
    entry = schedule.SCHEDULE["planning.nightly-replenishment"]  # 30 2 * * *
    assert schedule.latest_due(entry, at(10, 2, 29)) == at(9, 2, 30)
    assert schedule.latest_due(entry, at(10, 2, 30)) == at(10, 2, 30)
    assert schedule.next_due(entry, at(10, 2, 30)) == at(11, 2, 30)


@pytest.mark.django_db
def test_each_slot_is_enqueued_once() -> None:
    first = {run.name: run for run in schedule.enqueue_due(at(10, 2, 31))}
    replenishment = first["planning.nightly-replenishment"]
    assert replenishment.due_at == at(10, 2, 30)
    task = DBTaskResult.objects.get(id=replenishment.task_id)
    assert task.task_path.endswith("run_nightly_replenishment")

    assert schedule.enqueue_due(at(10, 2, 44)) == []  # every slot up to 02:44 is claimed
    assert ScheduledRun.objects.filter(name="planning.nightly-replenishment").count() == 1

    tomorrow = {run.name for run in schedule.enqueue_due(at(11, 2, 30))}
    assert "planning.nightly-replenishment" in tomorrow
    assert ScheduledRun.objects.filter(name="planning.nightly-replenishment").count() == 2


@pytest.mark.django_db
def test_a_scheduler_that_was_down_catches_up_once() -> None:
    schedule.enqueue_due(at(1, 3))
    enqueued = [run for run in schedule.enqueue_due(at(5, 3)) if run.name == "insight.kpi-snapshot"]
    assert [run.due_at for run in enqueued] == [at(5, 1, 15)]
    assert ScheduledRun.objects.filter(name="insight.kpi-snapshot").count() == 2


@pytest.mark.django_db
def test_an_entry_switched_off_by_setting_is_not_enqueued(settings) -> None:
    settings.CROSSDOCK_SCHEDULE = {"planning.nightly-replenishment": ""}
    names = {run.name for run in schedule.enqueue_due(at(10, 2, 31))}
    assert "planning.nightly-replenishment" not in names
    assert "insight.kpi-snapshot" in names


@pytest.mark.django_db
def test_an_overridden_cron_moves_the_slot(settings) -> None:
    settings.CROSSDOCK_SCHEDULE = {"planning.nightly-replenishment": "0 4 * * *"}
    entry = schedule.SCHEDULE["planning.nightly-replenishment"]
    assert schedule.latest_due(entry, at(10, 3)) == at(9, 4)
    assert schedule.next_due(entry, at(10, 3)) == at(10, 4)


def test_the_scheduler_sleeps_until_the_next_slot_at_most_a_minute() -> None:
    # purchasing.exceptions runs at minute 5 of every hour
    assert schedule.seconds_until_next(at(10, 2, 4) + datetime.timedelta(seconds=50)) == 10
    assert schedule.seconds_until_next(at(10, 2, 10)) == 60


@pytest.mark.django_db
def test_the_command_lists_the_schedule_and_enqueues_once() -> None:
    out = io.StringIO()
    call_command("scheduler", list=True, stdout=out)
    assert "planning.nightly-replenishment" in out.getvalue()
    assert "30 2 * * *" in out.getvalue()

    out = io.StringIO()
    call_command("scheduler", once=True, stdout=out)
    claimed = ScheduledRun.objects.count()
    assert claimed >= 1
    assert out.getvalue().count("enqueued") == claimed
    call_command("scheduler", once=True, stdout=io.StringIO())
    assert ScheduledRun.objects.count() == claimed
    assert timezone.now() - ScheduledRun.objects.first().enqueued_at < datetime.timedelta(minutes=5)


CLAIM = """
import datetime
from crossdock.core import schedule
from django.utils.module_loading import autodiscover_modules
autodiscover_modules("tasks")
now = datetime.datetime(2026, 3, 10, 2, 31, tzinfo=datetime.UTC)
print("claimed:" + ",".join(sorted(run.name for run in schedule.enqueue_due(now))))
"""


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_enqueue_each_slot_once() -> None:
    results = run_together([CLAIM, CLAIM])
    claimed = [
        name for line in results for name in line.removeprefix("claimed:").split(",") if name
    ]
    assert "planning.nightly-replenishment" in claimed
    assert len(claimed) == len(set(claimed)), results
    runs = ScheduledRun.objects.filter(name="planning.nightly-replenishment")
    assert runs.count() == 1
    assert DBTaskResult.objects.filter(id=runs.get().task_id).count() == 1
