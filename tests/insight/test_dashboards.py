"""The dashboards: every one renders with its panels, filters change the figures, another
company's figures never appear, roles without the documents are refused, and the exports
carry the same rows as the screen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crossdock.core.roles import Role
from crossdock.insight.dashboards import DASHBOARDS
from crossdock.insight.services.snapshots import take_snapshot
from tests import factories
from tests.browser import client_for

D = Decimal
CODES = list(DASHBOARDS)


@pytest.fixture
def executive(sold):
    return factories.user(Role.EXECUTIVE, companies=[sold.company])


@pytest.mark.parametrize("code", CODES)
def test_each_dashboard_renders_tiles_charts_and_tables(sold, executive, code):
    take_snapshot(sold.today)
    response = client_for(executive).get(reverse(f"insight:{code}"))
    assert response.status_code == 200, response.content[:2000]
    html = response.content.decode()
    spec = DASHBOARDS[code]
    for kpi in spec.tiles:
        assert f'data-kpi="{kpi}"' in html
    assert html.count('class="insight-chart"') >= 2
