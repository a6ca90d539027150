"""A manager's pages: the site, its search, a technician's tier history, the add form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits_phone, shoot
from tests.factories import TechnicianFactory
from tiers.models import Tier, TierAssignment


@pytest.fixture
def roster(site_a, site_b, tech_a, tech_b):
    """A small, realistic site A: tiers I to Lead, one on leave, one former, one promoted twice;
    plus a namesake at site B that a site-A manager must never see."""
    carla = TechnicianFactory(
        site=site_a, first_name="Carla", last_name="Cruz", employee_id="A-2", hire_date=dt.date(2021, 3, 1)
    )
    first = carla.tier_assignments.get()
    first.end_date = dt.date(2022, 6, 1)
    first.save()
    TierAssignment.objects.create(
        technician=carla,
        tier=Tier.objects.get(code="TECH2"),
        start_date=dt.date(2022, 6, 1),
        end_date=dt.date(2024, 2, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    TierAssignment.objects.create(
        technician=carla,
        tier=Tier.objects.get(code="TECH3"),
        start_date=dt.date(2024, 2, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    TechnicianFactory(site=site_a, first_name="Dan", last_name="Diaz", employee_id="A-3", tier="TECH2")
    TechnicianFactory(site=site_a, first_name="Fatima", last_name="Farouk", employee_id="A-4", tier="LEAD")
    TechnicianFactory(site=site_a, first_name="Greg", last_name="Gómez", employee_id="A-5", status="leave")
    TechnicianFactory(
        site=site_a,
        first_name="Hana",
        last_name="Hughes",
        employee_id="A-6",
        status="terminated",
        termination_date=dt.date(2025, 1, 31),
        termination_type="voluntary",
    )
    TechnicianFactory(site=site_b, first_name="Carl", last_name="Cruz", employee_id="B-2")
    return {"carla": carla}


def test_manager_searches_the_site_and_sees_exactly_the_match(
    page: Page, live_server, logged_in_page, manager_user, roster, site_a
):
    logged_in_page(manager_user)
    page.goto(f"{live_server.url}/sites/")
    page.get_by_role("link", name=site_a.code, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=site_a.name)).to_be_visible()
    shoot(page, "site-detail")
    assert_fits_phone(page)
    assert_accessible(page)

    page.get_by_role("searchbox", name="Search").fill("Cruz")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(rf"/sites/{site_a.pk}/\?q=Cruz&"))
    rows = page.get_by_role("table", name="Technicians").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Cruz, Carla")
    expect(page.get_by_text("Carl Cruz")).to_have_count(0)  # site B's namesake stays invisible
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("Cruz")
    shoot(page, "site-detail-search")
    assert_accessible(page)

    page.get_by_role("link", name="Cruz, Carla").click()
    expect(page.get_by_role("heading", level=1, name="Carla Cruz")).to_be_visible()
    history = page.get_by_role("table", name="Tier history")
    expect(history).to_be_visible()
    history_rows = history.locator("tbody tr")
    expect(history_rows).to_have_count(3)
    expect(history_rows.nth(0)).to_contain_text("Pharmacy Technician III")
    expect(history_rows.nth(0)).to_contain_text("now")
    expect(history_rows.nth(2)).to_contain_text("Pharmacy Technician I")
    expect(history_rows.nth(2)).to_contain_text("Hire")
    shoot(page, "technician-detail")
    assert_fits_phone(page)
    assert_accessible(page)


def test_manager_technician_list(page: Page, live_server, logged_in_page, manager_user, roster):
    logged_in_page(manager_user)
    page.goto(f"{live_server.url}/technicians/")
    expect(page.get_by_role("heading", level=1, name="Technicians")).to_be_visible()
    rows = page.get_by_role("table", name="Technicians").locator("tbody tr")
    # Active technicians of site A only, by last name.
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Archer, Alice")
    expect(page.get_by_role("table", name="Technicians")).not_to_contain_text("Baker")
    shoot(page, "technician-list")
    assert_fits_phone(page)
    assert_accessible(page)


def test_manager_add_technician_form(page: Page, live_server, logged_in_page, manager_user, roster, site_a):
    logged_in_page(manager_user)
    page.goto(f"{live_server.url}/sites/{site_a.pk}/")
    page.get_by_role("link", name="Add technician").click()
    expect(page.get_by_role("heading", level=1, name="Add a technician")).to_be_visible()
    expect(page.get_by_label("Site")).to_have_value(str(site_a.pk))
    shoot(page, "technician-form")
    assert_fits_phone(page)
    assert_accessible(page)

    # A taken employee id comes back from the server as an error next to the field.
    page.get_by_label("Employee id").fill("A-1")
    page.get_by_label("First name").fill("Ivy")
    page.get_by_label("Last name").fill("Ito")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_employee_id")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_text("already exists")).to_be_visible()
    shoot(page, "technician-form-errors")
    assert_accessible(page)

    # Fixed: the technician is created and the manager lands on the new record.
    page.get_by_label("Employee id").fill("A-7")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1, name="Ivy Ito")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ivy Ito was added.")
    expect(page.get_by_role("table", name="Tier history").locator("tbody tr")).to_have_count(1)


def test_dashboard_with_data(page: Page, live_server, logged_in_page, hr_user, roster):
    logged_in_page(hr_user)
    expect(page.get_by_role("heading", level=1, name="Organisation dashboard")).to_be_visible()
    shoot(page, "dashboard-hr-with-data")
    assert_fits_phone(page)
    assert_accessible(page)
