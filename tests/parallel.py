"""Run snippets of Crossdock code in real, simultaneously started processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from django.db import connection

PRELUDE = """
import sys, time
import django
django.setup()
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
"""


def database_url_of_test_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = settings["HOST"] or "localhost"
    if host.startswith("/"):
        host = host.replace("/", "%2F")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{settings['USER']}@{host}{port}/{settings['NAME']}"


def run_together(snippets: list[str], *, delay: float = 2.5) -> list[str]:
    """Start one process per snippet, release them at the same instant, return each last line.

    Each snippet runs after ``django.setup()`` against the test database and
    should print one result line.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "crossdock.settings",
        "CROSSDOCK_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    start = str(time.time() + delay)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRELUDE + snippet, start],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for snippet in snippets
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        results.append(out.strip().splitlines()[-1])
    return results
