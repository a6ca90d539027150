"""HR reads both turnover figures on the report and how each is worked out, on a desktop and a
phone; the dashboard names its method under the turnover tile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics import services
from tests.browser.conftest import assert_accessible, shoot
from tests.factories import TechnicianFactory

D = dt.date
ANNUALISED = "Voluntary turnover, annualised: separations ÷ average of start and end headcount, annualised by days"
SHRM = "SHRM monthly method: sum of the monthly rates"


@pytest.fixture
def quarter(site_a):
    """Site A in Q1 2025: four there all along, one leaving voluntarily 01-20 and one 03-15.
    Jan: 6 on the 1st, 5 on the 31st (average 5.5), 1 exit -> 18.18...; Feb: 5 and 5, no exit;
    Mar: 5 and 4 (4.5), 1 exit -> 22.2...; the sum is 40.4 to one decimal."""
    for _ in range(4):
        TechnicianFactory(site=site_a, hire_date=D(2020, 1, 1))
    for gone in (D(2025, 1, 20), D(2025, 3, 15)):
        TechnicianFactory(
            site=site_a,
            hire_date=D(2020, 1, 1),
            status="terminated",
            termination_date=gone,
            termination_type="voluntary",
        )
    services.kpi_snapshots_compute_all(months=[timezone.localdate().replace(day=1)], today=timezone.localdate())


def test_hr_reads_both_turnover_figures_and_their_methods(page: Page, live_server, logged_in_page, hr_user, quarter):
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/reports/?start=2025-01-01&end=2025-03-31")
    table = page.get_by_role("region", name="KPI report table (scrolls sideways)")
    headings = table.locator("thead th").all_inner_texts()
    shrm_column = headings.index("Voluntary turnover, SHRM monthly method (%)")
    assert headings[shrm_column - 1] == "Voluntary turnover, annualised (%)"
    organisation = table.locator("tbody tr").first
    expect(organisation.locator("th")).to_have_text("Organisation")
    expect(organisation.locator("th, td").nth(shrm_column)).to_have_text("40.4")
    methods = page.get_by_test_id("turnover-methods")
    expect(methods).to_contain_text(ANNUALISED)
    expect(methods).to_contain_text(SHRM)
    shoot(page, "reports-turnover-methods")  # also fails if the page scrolls sideways at 390 px
    assert_accessible(page)

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".tile-method").first).to_have_text(
        "Separations ÷ average of start and end headcount, annualised by days"
    )
    shoot(page, "dashboard-turnover-method")
