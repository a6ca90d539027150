"""The top navigation: one row at 1366 px for the roles with the most pages, every page of the
old flat bar still reachable (through the group dropdowns), keyboard operable, and a collapsed
menu on a phone that shows the groups."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PHONE, assert_accessible, shoot

LAPTOP = {"width": 1366, "height": 768}

# Written out by hand: what each role can reach from the bar (PRODUCT.md section 1 roles).
MANAGER_LINKS = {
    "/dashboard/",
    "/technicians/",
    "/sites/",
    "/promotions/",
    "/promotions/ready/",
    "/ladder/",
    "/tracks/",
    "/mentoring/",
    "/certifications/overview/",
    "/certifications/verification/",
    "/incentives/",
    "/certifications/types/",
    "/certifications/policy/",
    "/training/matrix/",
    "/training/rotations/",
    "/training/assign/",
}
EXPECTED_LINKS = {
    "manager": MANAGER_LINKS,
    "hr": MANAGER_LINKS | {"/imports/", "/reports/"},
    "admin": MANAGER_LINKS | {"/imports/", "/reports/", "/admin/"},
}
# The links of the flat bar before it was grouped: each must still be reachable.
OLD_FLAT_BAR = {
    "manager": {
        "/dashboard/",
        "/technicians/",
        "/sites/",
        "/certifications/overview/",
        "/training/matrix/",
        "/promotions/",
    },
    "hr": {
        "/dashboard/",
        "/technicians/",
        "/sites/",
        "/certifications/overview/",
        "/training/matrix/",
        "/promotions/",
        "/reports/",
        "/imports/",
    },
    "admin": {
        "/dashboard/",
        "/technicians/",
        "/sites/",
        "/certifications/overview/",
        "/training/matrix/",
        "/promotions/",
        "/reports/",
        "/imports/",
        "/admin/",
    },
}


def _nav_hrefs(page: Page) -> set[str]:
    return set(page.locator("#mainNav .navbar-nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))"))


def _reach(page: Page, href: str) -> None:
    """Make the bar's link to ``href`` visible the way a person would: open its group."""
    link = page.locator(f'#mainNav .navbar-nav a[href="{href}"]')
    expect(link).to_have_count(1)
    if not link.is_visible():
        toggle = link.locator("xpath=ancestor::li[contains(@class,'dropdown')]/button")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(link).to_be_visible()
    page.keyboard.press("Escape")


NAMES = {"manager": ("Mona", "Patel"), "hr": ("Harriet", "Reed"), "admin": ("Alexandra", "Whitfield-Montgomery")}


def _with_name(user, role):
    user.first_name, user.last_name = NAMES[role]
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.mark.parametrize("role", ["manager", "hr", "admin"])
def test_bar_is_one_row_at_1366_and_every_link_is_reachable(page: Page, logged_in_page, users, role):
    page.set_viewport_size(LAPTOP)
    logged_in_page(_with_name(users[role], role))

    nav = page.get_by_role("navigation", name="Main")
    height = nav.bounding_box()["height"]
    # One row: the brand's line plus the bar's padding (56 px in Bootstrap 5); a second row of
    # links would add about 40 px.
    assert height <= 60, f"the {role}'s navbar is {height}px high: it wraps"
    tops = {round(box["y"]) for box in (el.bounding_box() for el in nav.locator(".navbar-nav > li").all())}
    user_top = page.locator(".navbar-user").bounding_box()["y"]
    assert len(tops) == 1 and abs(user_top - tops.pop()) < 20, "nav items or the user block sit on another row"
    # Nothing hangs off the right edge: the page does not scroll sideways, and the last
    # controls of the bar are inside the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    for control in (page.get_by_role("button", name="Log out"), page.get_by_test_id("notification-bell")):
        box = control.bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"]

    hrefs = _nav_hrefs(page)
    assert hrefs == EXPECTED_LINKS[role]
    assert OLD_FLAT_BAR[role] <= hrefs
    for href in sorted(hrefs):
        _reach(page, href)
    shoot(page, f"nav-{role}")


def test_active_section_is_highlighted_and_announced(page: Page, logged_in_page, manager_user, tech_a):
    page.set_viewport_size(LAPTOP)
    logged_in_page(manager_user)

    page.goto(page.url.replace("/dashboard/", "/promotions/"))
    ladder = page.get_by_role("button", name=re.compile(r"^Ladder"))
    expect(ladder).to_have_class(re.compile(r"\bactive\b"))
    expect(ladder).to_have_accessible_name("Ladder (current section)")
    ladder.click()
    expect(page.get_by_role("link", name="Promotions")).to_have_attribute("aria-current", "page")
    page.screenshot(path=str(ARTIFACTS / "nav-ladder-open-desktop.png"))

    # A technician's own page belongs to People, though it is not a menu entry itself.
    page.goto(page.url.replace("/promotions/", f"/technicians/{tech_a.pk}/"))
    expect(page.get_by_role("button", name=re.compile(r"^People"))).to_have_accessible_name("People (current section)")
    expect(page.get_by_role("button", name="Ladder")).not_to_have_class(re.compile(r"\bactive\b"))


def test_groups_open_and_close_with_the_keyboard(page: Page, logged_in_page, manager_user):
    page.set_viewport_size(LAPTOP)
    logged_in_page(manager_user)

    toggle = page.get_by_role("button", name="Certifications")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Overview")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Verification queue")).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/certifications/overview/$"))
    assert_accessible(page)


def test_technician_keeps_plain_links(page: Page, logged_in_page, technician_user):
    page.set_viewport_size(LAPTOP)
    logged_in_page(technician_user)

    assert _nav_hrefs(page) == {"/me/", "/certifications/me/", "/training/", "/ladder/", "/tracks/"}
    expect(page.locator("#mainNav .dropdown-toggle")).to_have_count(0)
    for name in ("My progress", "My certifications", "My training", "The ladder", "Tracks"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


@pytest.mark.parametrize("role", ["manager", "hr"])
def test_phone_menu_opens_and_shows_the_groups(page: Page, logged_in_page, users, role):
    page.set_viewport_size(PHONE)
    logged_in_page(users[role])

    toggler = page.get_by_role("button", name="Toggle navigation")
    expect(page.get_by_role("button", name="People")).to_be_hidden()
    toggler.click()
    expect(page.locator("#mainNav")).to_have_class(re.compile(r"\bshow\b"))
    groups = ["People", "Ladder", "Certifications", "Training"]
    for name in groups:
        expect(page.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    if role == "hr":
        expect(page.get_by_role("link", name="Reports", exact=True)).to_be_visible()

    page.get_by_role("button", name="People").click()
    expect(page.get_by_role("link", name="Technicians", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Sites", exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the open menu is {width}px wide"
    page.screenshot(path=str(ARTIFACTS / f"nav-{role}-phone-open.png"))
    assert_accessible(page)


def test_narrow_laptop_wraps_rather_than_scrolling_sideways(page: Page, logged_in_page, users):
    page.set_viewport_size({"width": 1024, "height": 768})
    logged_in_page(_with_name(users["admin"], "admin"))

    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()
