"""Logging in through the real form, as every role, and landing on that role's home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PHONE, assert_accessible, assert_fits_phone, login, shoot

HOMES = {
    # role: (landing path, heading the user reads)
    "technician": ("/me/", "Hello, Alice"),
    "evaluator": ("/technicians/", "Technicians"),
    "manager": ("/dashboard/", "Your sites"),
    "hr": ("/dashboard/", "Organisation dashboard"),
    "admin": ("/dashboard/", "Organisation dashboard"),
}


def test_login_page_is_accessible(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    shoot(page, "login")
    assert_accessible(page)


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_logs_in_through_the_form_and_lands_home(page: Page, live_server, users, role):
    path, heading = HOMES[role]
    login(page, live_server.url, users[role].username)

    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    # The navbar says who is logged in and offers a way out.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shoot(page, f"home-{role}")
    assert_fits_phone(page)
    assert_accessible(page)


def test_wrong_password_shows_the_error_and_stays_on_login(page: Page, live_server, manager_user):
    login(page, live_server.url, manager_user.username, password="not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    # The username is kept, the password is not.
    expect(page.get_by_label("Username")).to_have_value(manager_user.username)
    expect(page.get_by_label("Password")).to_have_value("")
    shoot(page, "login-error")
    assert_accessible(page)


def test_logout_from_the_navbar_returns_to_login(page: Page, live_server, manager_user):
    login(page, live_server.url, manager_user.username)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    # Logged out for real: the dashboard sends us back to the form.
    page.goto(f"{live_server.url}/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/dashboard/$"))


def test_phone_navbar_collapses_and_me_has_no_horizontal_scroll(page: Page, live_server, technician_user):
    page.set_viewport_size(PHONE)
    login(page, live_server.url, technician_user.username)
    expect(page).to_have_url(f"{live_server.url}/me/")

    toggler = page.get_by_role("button", name="Toggle navigation")
    expect(toggler).to_be_visible()
    expect(page.get_by_role("link", name="My progress")).to_be_hidden()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"/me/ scrolls sideways on a phone: {scroll_width}px wide"

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#mainNav")).to_have_class(re.compile(r"\bshow\b"))  # transition finished
    expect(page.get_by_role("link", name="My progress")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "me-phone-menu-open.png"), full_page=True)
