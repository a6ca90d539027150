"""The badge at a skills fair: a manager prints a technician's badge, the evaluator scans its QR
code with a phone (simulated by opening the address the code holds) and signs off on the sheet
at 390 px."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from competencies.badges import signoff_sheet_url
from tests.browser.conftest import PHONE, assert_accessible, assert_fits_phone, login, shoot
from tests.factories import TechnicianFactory


@pytest.fixture
def alex(site_a):
    return TechnicianFactory(site=site_a, first_name="Alex", last_name="Kim", employee_id="A-77", tier="TECH2")


@pytest.fixture
def site_url(settings, live_server):
    # The badge's code points at the server people open the app at: here, the live server.
    settings.SITE_URL = live_server.url
    return live_server.url


def _qr_size(page: Page, scope: str) -> dict:
    return page.locator(f"{scope} svg.qr-code").evaluate(
        "el => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; }"
    )


def test_the_manager_opens_the_badge_from_the_record_and_it_prints_alone(
    page: Page, live_server, site_url, manager_user, alex
):
    login(page, live_server.url, manager_user.username)
    page.goto(f"{live_server.url}/technicians/{alex.pk}/")
    qr = page.get_by_test_id("signoff-qr")
    expect(qr).to_contain_text("Scan to open Alex Kim's sign-off sheet")
    expect(qr.get_by_role("img", name="QR code: Alex Kim's sign-off sheet")).to_be_visible()
    size = _qr_size(page, '[data-testid="signoff-qr"]')
    assert size["w"] == size["h"] >= 120, size
    shoot(page, "badge-record")
    assert_fits_phone(page)
    assert_accessible(page)

    qr.get_by_role("link", name="Print badge").click()
    expect(page).to_have_url(f"{live_server.url}/technicians/{alex.pk}/badge/")
    card = page.get_by_test_id("badge")
    expect(card.get_by_role("heading", name="Alex Kim")).to_be_visible()
    expect(page.get_by_test_id("badge-employee-id")).to_have_text("A-77")
    expect(page.get_by_test_id("badge-site")).to_have_text("Riverside Community Pharmacy")
    expect(page.get_by_test_id("badge-tier")).to_have_text("Pharmacy Technician II")
    expect(page.get_by_test_id("badge-printed")).to_have_text(timezone.localdate().strftime("%b %-d, %Y"))
    expect(card.get_by_role("img", name="QR code: Alex Kim's sign-off sheet")).to_be_visible()
    expect(page.get_by_role("button", name="Print badge")).to_be_visible()
    shoot(page, "badge")

    for viewport in ({"width": 1366, "height": 900}, PHONE):
        page.set_viewport_size(viewport)
        assert_fits_phone(page)
        assert_accessible(page)
        # 30 mm of code at 96 px per inch: about 113 px, big enough for a phone camera.
        size = _qr_size(page, '[data-testid="badge"]')
        assert size["w"] == size["h"] and size["w"] > 110, size

    # Printed, only the badge is on the paper: no navigation, footer, breadcrumb or button.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("navigation", name="breadcrumb")).to_be_hidden()
    expect(page.get_by_role("button", name="Print badge")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(card).to_be_visible()
    page.emulate_media(media="screen")


def test_the_technician_opens_their_own_badge_on_a_phone(page: Page, live_server, site_url, technician_user, tech_a):
    page.set_viewport_size(PHONE)
    login(page, live_server.url, technician_user.username)
    page.goto(f"{live_server.url}/technicians/{tech_a.pk}/badge/")
    expect(page.get_by_test_id("badge").get_by_role("heading", name="Alice Archer")).to_be_visible()
    shoot(page, "badge-technician")
    assert_fits_phone(page)
    assert_accessible(page)


def test_the_evaluator_scans_the_badge_and_signs_off_on_a_phone(
    page: Page, live_server, site_url, evaluator_user, alex
):
    page.set_viewport_size(PHONE)
    login(page, live_server.url, evaluator_user.username)

    # Scanning the badge: the phone opens the address the QR code holds.
    target = signoff_sheet_url(technician=alex)
    assert target == f"{live_server.url}/technicians/{alex.pk}/signoffs/"
    page.goto(target)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign off competencies: Alex Kim")
    shoot(page, "badge-signoffs")
    page.set_viewport_size(PHONE)
    assert_fits_phone(page)
    assert_accessible(page)

    # Usable with a thumb: the shared controls and the first item's box are on screen and
    # wide enough to hit, and nothing of the form sticks out of the page.
    for control in (
        page.get_by_label("Date", exact=True),
        page.get_by_label("Method", exact=True),
        page.get_by_label("Result", exact=True),
    ):
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 30, box
    sheet_button = page.get_by_role("button", name="Sign off selected").first
    button_box = sheet_button.bounding_box()
    assert button_box["x"] >= 0 and button_box["x"] + button_box["width"] <= PHONE["width"], button_box
    assert button_box["height"] >= 30, button_box
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll("main *")]
          .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                        && el.offsetParent !== null && !el.closest(".table-responsive"))
          .map(el => el.tagName + "." + el.className)"""
    )
    assert overflowing == [], overflowing

    # Sign off the first item still to sign, with the result "pass", on the phone.
    first = page.locator('input[name="item"][data-state="to_sign"]:not(:disabled)').first
    box = first.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box  # a thumb's target (WCAG 2.2, 2.5.8)
    item_id = first.get_attribute("value")
    first.check()
    page.get_by_label("Method", exact=True).select_option("observation")
    sheet_button.click()
    expect(page.get_by_role("alert")).to_contain_text("1 sign-off recorded for Alex Kim.")
    item = page.locator(f"#item-{item_id}").locator("xpath=ancestor::li[1]")
    expect(item).to_contain_text(re.compile(r"last .*, observation, pass"))
    assert_fits_phone(page)
