"""Background tasks run in a real ``crossdock worker`` process against the same database."""

import os
import subprocess
import sys

import pytest

from crossdock.core.tasks import run_audit
from tests.parallel import database_url_of_test_database


@pytest.mark.parallel
@pytest.mark.django_db(transaction=True)
def test_worker_process_runs_an_enqueued_task(company_a):
    result = run_audit.enqueue()
    assert result.status == "READY"
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
    assert result.return_value["problems"] == []
    assert "audit-trail hash chain" in result.return_value["checks"]
