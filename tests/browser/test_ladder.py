"""The ladder in the browser: an evaluator signs off the last missing checklist item, the manager
approves the pending promotion, and the technician's /me/ shows the new tier."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from careerladder.core.dates import add_months
from competencies.models import Competency
from tests.browser.conftest import PHONE, assert_accessible, login, shoot
from tests.ladder.factories import achieve, certify, evaluate, items_of, sign
from tiers import services
from tiers.models import Tier


@pytest.fixture
def one_item_short(tech_a, evaluator_user, manager_user, technician_user):
    """Alice (Tech I, hired 2024-01-15) meets every Tech II requirement of the seeded ladder but
    the last item of insurance billing; her manager has already nominated her."""
    today = timezone.localdate()
    tier = Tier.objects.get(code="TECH2")
    billing = Competency.objects.get(code="BILLING")
    for competency in tier.required_competencies.exclude(pk=billing.pk):
        achieve(tech_a, evaluator_user, competency, today - dt.timedelta(days=20))
    *first_items, last_item = items_of(billing)
    sign(tech_a, evaluator_user, first_items, today - dt.timedelta(days=5))
    certify(tech_a, "CPHT", issued_on=today - dt.timedelta(days=200))
    for back in (3, 2, 1):
        evaluate(tech_a, manager_user, add_months(today.replace(day=1), -back), 4)
    services.promotion_nominate(technician=tech_a, nominated_by=manager_user, effective_date=today, note="Ready soon.")
    return last_item


def _logout(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()


def test_signoff_of_the_last_item_then_approval_then_the_new_tier_on_me(
    page: Page, live_server, evaluator_user, manager_user, technician_user, one_item_short
):
    # The technician sees exactly what is missing and what to do next.
    login(page, live_server.url, technician_user.username)
    missing = page.get_by_test_id("missing")
    expect(missing).to_contain_text(f"Still to sign: {one_item_short.text}.")
    expect(missing.locator("li")).to_have_count(1)
    expect(page.get_by_test_id("current-tier")).to_have_text("Pharmacy Technician I")
    shoot(page, "ladder-me-before")
    assert_accessible(page)
    _logout(page)

    # The evaluator signs the last item off on the sign-off screen.
    login(page, live_server.url, evaluator_user.username)
    page.get_by_role("link", name="Archer, Alice").click()
    page.get_by_role("link", name="Sign off competencies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign off competencies: Alice Archer")
    shoot(page, "ladder-signoffs")
    assert_accessible(page)
    page.get_by_label(one_item_short.text).check()
    page.get_by_label("Method", exact=True).select_option("observation")
    page.get_by_label("Comment", exact=True).fill("Reversed 3 unclaimed claims within the PBM window.")
    page.get_by_role("button", name="Sign off selected").first.click()
    expect(page.get_by_role("alert")).to_contain_text("1 sign-off recorded for Alice Archer.")
    billing = page.locator('[data-competency="BILLING"]')
    expect(billing).to_contain_text("Achieved")
    expect(page.get_by_text("eligible today")).to_be_visible()
    _logout(page)

    # The manager approves the pending request from the promotion queue.
    login(page, live_server.url, manager_user.username)
    page.get_by_role("button", name="Ladder").click()  # the group in the navbar
    page.get_by_role("link", name="Promotions").click()
    row = page.get_by_role("row", name=re.compile("Archer, Alice"))
    expect(row).to_contain_text("Eligible")
    expect(row).to_contain_text("TECH1 → TECH2")
    shoot(page, "ladder-promotion-queue")
    assert_accessible(page)
    row.get_by_role("link", name=re.compile("Review")).click()
    shoot(page, "ladder-promotion-detail")
    assert_accessible(page)
    page.get_by_role("button", name="Approve promotion").click()
    expect(page.get_by_role("alert")).to_contain_text("Alice Archer is now Pharmacy Technician II")
    expect(page.get_by_text("No pending requests.")).to_be_visible()
    _logout(page)

    # The technician's career map shows the new tier and the next step.
    login(page, live_server.url, technician_user.username)
    expect(page).to_have_url(f"{live_server.url}/me/")
    expect(page.get_by_test_id("current-tier")).to_have_text("Pharmacy Technician II")
    expect(page.get_by_text("Next tier", exact=True)).to_be_visible()
    expect(page.locator(".career-map")).to_contain_text("Pharmacy Technician III")
    expect(page.get_by_role("table", name="Tier history").locator("tbody tr")).to_have_count(2)
    shoot(page, "ladder-me-after")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"/me/ scrolls sideways on a phone: {scroll_width}px wide"


def test_ladder_tracks_and_ready_pages_read_well(page: Page, live_server, manager_user, one_item_short, hr_user):
    login(page, live_server.url, manager_user.username)
    page.goto(f"{live_server.url}/promotions/ready/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ready for promotion")
    expect(page.get_by_role("heading", name=re.compile("Close: one or two"))).to_be_visible()
    shoot(page, "ladder-ready")
    assert_accessible(page)
    page.goto(f"{live_server.url}/tracks/")
    expect(page.get_by_role("heading", level=2, name="Management track")).to_be_visible()
    shoot(page, "ladder-tracks")
    assert_accessible(page)
    page.goto(f"{live_server.url}/technicians/{one_item_short.competency.rounds.first().technician_id}/evaluations/")
    shoot(page, "ladder-evaluations")
    assert_accessible(page)
    page.goto(f"{live_server.url}/mentoring/")
    shoot(page, "ladder-mentoring")
    assert_accessible(page)
    _logout(page)

    login(page, live_server.url, hr_user.username)
    page.goto(f"{live_server.url}/ladder/")
    expect(page.get_by_role("heading", level=2, name="Pharmacy Technician III")).to_be_visible()
    page.get_by_role("button", name=re.compile("Sterile compounding: garbing")).click()
    expect(page.get_by_text("0 CFU on 3 tests in a row")).to_be_visible()
    shoot(page, "ladder-ladder")
    assert_accessible(page)
    page.get_by_role("link", name="Edit requirements of Pharmacy Technician III").click()
    shoot(page, "ladder-tier-edit")
    assert_accessible(page)
