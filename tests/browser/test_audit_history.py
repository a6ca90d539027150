"""Hr reads a technician's history: from the technician's page to the timeline."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PHONE, assert_accessible, assert_fits_phone, shoot


def test_hr_opens_the_history_from_the_technician_page(page: Page, live_server, logged_in_page, hr_user, tech_a):
    from tiers.services import technician_update

    hr_user.first_name, hr_user.last_name = "Harriet", "Reed"
    hr_user.save()
    technician_update(technician=tech_a, data={"status": "leave"})
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/technicians/{tech_a.pk}/")

    page.get_by_role("link", name="History").click()

    expect(page).to_have_url(re.compile(rf"/technicians/{tech_a.pk}/history/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("History of Alice Archer")
    timeline = page.get_by_role("list", name="Changes to Alice Archer")
    entries = timeline.locator("[data-audit-entry]")
    expect(entries).to_have_count(3)  # hire, first tier, leave
    expect(entries.first).to_contain_text("Technician record changed")
    expect(entries.first).to_contain_text("status: active → on leave")
    expect(entries.first).to_contain_text("System")
    # The section is People: a technician's page is not a menu entry, its group is.
    expect(page.get_by_role("button", name="People (current section)")).to_be_visible()
    shoot(page, "technician-history")
    assert_fits_phone(page)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "technician-history-phone-top.png"))
