"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against the live server.

Registered once, in ``tests/conftest.py``: Playwright's sync API allows one
instance per thread, so every browser test in the session shares one Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def client_for(user: Any) -> Client:
    """A test client signed in as ``user`` (``force_login`` skips axes, which needs a request)."""
    client = Client()
    client.force_login(user)
    return client


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertion, imported late so non-browser runs need no Playwright."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed at /usr/bin/chromium "
            "(scripts/ensure-chromium.sh installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class BrowserSession:
    """Opens pages in a fresh browser context against the live server, optionally signed in."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.js_errors: list[str] = []

    def page(self, user: Any = None, viewport: dict[str, int] = DESKTOP) -> Any:
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        if user is not None:
            client = client_for(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base_url}]
            )
        page = context.new_page()
        page.on("pageerror", lambda error: self.js_errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browser(chromium, live_server) -> Iterator[BrowserSession]:
    session = BrowserSession(chromium, live_server.url)
    yield session
    session.close()
