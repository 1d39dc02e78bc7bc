"""Real parallel processes: concurrent approvals make one transition; the worker escalates."""

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from crossdock.approvals import services
from crossdock.approvals.documents import VENDOR_ONBOARDING
from crossdock.approvals.models import ApprovalRequest, ApprovalStep
from crossdock.approvals.policies import LevelDraft
from crossdock.approvals.tasks import escalate_overdue_steps
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.masterdata.models import Partner
from tests.approvals.conftest import HIGH_RISK
from tests.parallel import database_url_of_test_database

DECIDE = """
import os, sys, time
import django
django.setup()
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import User
user = User.objects.get(username=sys.argv[1])
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
try:
    decide(Actor.of(user), int(sys.argv[2]), approve=True, comment="parallel")
    print("ok")
except DomainError as error:
    print(f"refused:{error.code}")
"""


def run_in_parallel(*argument_lists):
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "crossdock.settings",
        "CROSSDOCK_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DECIDE, *arguments],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in argument_lists
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1])
    return outputs


@pytest.mark.parallel
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_make_exactly_one_transition(people, make_policy, new_supplier):
    make_policy(HIGH_RISK, LevelDraft(name="Any manager", rule="role", role="purchasing-manager"))
    supplier = new_supplier(people["buyer"])
    request = services.request_for(VENDOR_ONBOARDING, supplier.pk)
    start = str(time.time() + 2.5)
    outputs = run_in_parallel(
        ["head-of-purchasing", str(request.pk), start],
        ["deputy-purchasing", str(request.pk), start],
    )
    assert outputs.count("ok") == 1, outputs
    assert next(o for o in outputs if o != "ok").startswith("refused:")
    assert ApprovalRequest.objects.get(pk=request.pk).status == "approved"
    assert OutboxEvent.objects.filter(name="approvals.granted").count() == 1
    assert AuditEntry.objects.filter(action="approvals.approve").count() == 1
    assert Partner.objects.get(pk=supplier.pk).approval_status == "approved"


@pytest.mark.parallel
@pytest.mark.django_db(transaction=True)
def test_worker_process_escalates_overdue_steps(people, make_policy, new_supplier):
    make_policy(
        HIGH_RISK,
        LevelDraft(
            name="Head",
            rule="user",
            user_id=people["head"].pk,
            sla_hours=1,
            escalate_to_id=people["director"].pk,
        ),
    )
    request = services.request_for(VENDOR_ONBOARDING, new_supplier(people["buyer"]).pk)
    ApprovalStep.objects.filter(request=request).update(
        due_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    result = escalate_overdue_steps.enqueue()
    env = {**os.environ, "DATABASE_URL": database_url_of_test_database()}
    completed = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "worker", "--batch", "--no-startup-delay"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 1
    steps = {s.approver.username: s.status for s in request.steps.all()}
    assert steps == {"head-of-purchasing": "escalated", "director": "pending"}
