"""A manager opens the dashboard: the trend charts are drawn and an at-risk technician is linked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics import services
from metrics.selectors import trend_months
from technicians.models import Technician
from tests.browser.conftest import assert_accessible, shoot
from tests.factories import TechnicianFactory

# Counts the canvas pixels that are not transparent: a drawn chart has thousands.
PAINTED_PIXELS = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { painted++; } }
  return painted;
}"""


@pytest.fixture
def site_with_history(site_a, site_b):
    today = timezone.localdate()
    for n in range(6):
        TechnicianFactory(site=site_a, hire_date=today - dt.timedelta(days=900 + 60 * n))
    TechnicianFactory(
        site=site_a,
        first_name="Ines",
        last_name="Ortega",
        employee_id="A-RISK",
        hire_date=today - dt.timedelta(days=330),  # 9-month PTCB window passed, no CPhT
    )
    TechnicianFactory(
        site=site_a,
        first_name="Quit",
        last_name="Recently",
        status="terminated",
        termination_date=today - dt.timedelta(days=40),
        termination_type="voluntary",
        hire_date=today - dt.timedelta(days=800),
    )
    TechnicianFactory(site=site_b, first_name="Other", last_name="Site", hire_date=today - dt.timedelta(days=330))
    months = trend_months(today=today)
    services.kpi_snapshots_compute_all(months=months, today=today)
    return today


def test_manager_sees_charts_drawn_and_an_at_risk_technician_linked(
    page: Page, live_server, logged_in_page, manager_user, site_with_history
):
    logged_in_page(manager_user)
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sites")
    expect(page.get_by_test_id("freshness")).to_contain_text("Computed")

    canvases = page.locator("canvas[data-kpi-chart]")
    expect(canvases).to_have_count(4)
    for index in range(4):
        canvas = canvases.nth(index)
        expect(canvas).to_have_attribute("data-drawn", "true")
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        assert canvas.evaluate(PAINTED_PIXELS) > 500, f"chart {index} is blank"

    ptcb = page.get_by_test_id("action-ptcb")
    link = ptcb.get_by_role("link", name="Ines Ortega")
    expect(link).to_be_visible()
    expect(ptcb).to_contain_text("Overdue")
    expect(ptcb.get_by_text("Other Site")).to_have_count(0)  # site B is not this manager's
    shoot(page, "dashboard-manager")
    assert_accessible(page)

    link.click()
    expect(page).to_have_url(f"{live_server.url}/technicians/{Technician.objects.get(employee_id='A-RISK').pk}/")
    expect(page.get_by_role("heading", level=1, name="Ines Ortega")).to_be_visible()


def test_hr_sorts_the_site_comparison_and_recomputes(
    page: Page, live_server, logged_in_page, hr_user, site_with_history
):
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/dashboard/")
    table = page.locator("#comparison table")
    expect(table.locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Headcount", exact=True).click()
    expect(table.locator("th[aria-sort='descending']")).to_contain_text("Headcount")
    expect(table.locator("tbody tr").first).to_contain_text("A01")  # 7 employed before 1

    # Tasks run in process in tests: the run is done when the answer comes, and htmx reloads
    # the page (HX-Refresh) to show the new figures.
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="Recompute").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("freshness")).to_contain_text("Computed")
    shoot(page, "dashboard-hr")
    assert_accessible(page)
