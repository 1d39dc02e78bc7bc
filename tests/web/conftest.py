"""Web shell fixtures: logged-in test clients, a partner per company, and a headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from crossdock.core.roles import Role
from tests import factories

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


@pytest.fixture
def admin_client_web(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def partner_a(company_a):
    return factories.partner(company_a, code="ACME-CUST", name="Alpha Retail")


@pytest.fixture
def partner_b(company_b):
    return factories.partner(company_b, code="BETA-CUST", name="Bravo Stores")


@pytest.fixture
def sales_rep_a(company_a):
    """A sales rep of company A only (partners: view/add/change; no audit trail)."""
    return factories.user(Role.SALES_REP, companies=[company_a], username="rep-a")


@pytest.fixture
def auditor_a(company_a):
    return factories.user(Role.AUDITOR, companies=[company_a], username="auditor-a")


@pytest.fixture
def rich_partner(company_a):
    partner = factories.partner(
        company_a, code="RICH", name="Rich Customer", credit_limit=Decimal("2500.00")
    )
    return partner


# -- browser -----------------------------------------------------------------------------


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
