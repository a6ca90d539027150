"""A manager bulk-assigns a programme, the technician completes it, the matrix cell turns to
achieved: in Chromium, like a person."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import login


def test_bulk_assign_complete_and_see_it_achieved(
    page: Page, live_server, manager_user, technician_user, site_a, tech_a
):
    due = timezone.localdate() + dt.timedelta(days=21)
    login(page, live_server.url, manager_user.username)
    page.goto(f"{live_server.url}/training/matrix/")
    page.get_by_role("link", name="Assign to a site or tier").click()
    page.get_by_label("Programme").select_option(label="Health screenings (blood pressure, glucose)")
    page.get_by_label("Site").select_option(label=str(site_a))
    page.get_by_label("Due on").fill(f"{due:%Y-%m-%d}")
    page.get_by_role("button", name="Assign to all of them").click()
    expect(page.get_by_text("Health screenings (blood pressure, glucose) assigned to 1 technicians")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server.url, technician_user.username)
    page.goto(f"{live_server.url}/training/")
    due_table = page.get_by_test_id("training-due")
    expect(due_table).to_contain_text("Health screenings (blood pressure, glucose)")
    expect(due_table).to_contain_text(f"{due:%Y-%m-%d}")
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_test_id("training-done")).to_contain_text("Health screenings (blood pressure, glucose)")

    page.context.clear_cookies()
    login(page, live_server.url, manager_user.username)
    page.goto(f"{live_server.url}/training/matrix/?kind=program&category=clinical")
    row = page.get_by_role("row").filter(has_text="Archer, Alice")
    expect(row.locator("td").first).to_have_attribute("data-status", "achieved")
    expect(row.locator("td").first).to_contain_text("Achieved")
