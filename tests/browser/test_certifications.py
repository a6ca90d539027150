"""A technician logs a CE credit and a practice test, then sees the chart and the updated
renewal progress; a manager verifies a self-reported certification from the queue."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from careerladder.core.dates import add_months
from tests.browser.conftest import assert_accessible, assert_fits_phone, shoot
from tests.certifications.factories import (
    CertificationFactory,
    PracticeTestFactory,
    UnverifiedCertificationFactory,
    cert_type,
)


def _day(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def test_technician_logs_ce_and_a_practice_test_and_sees_progress(
    page: Page, live_server, logged_in_page, technician_user, tech_a
):
    today = timezone.localdate()
    issued = today - dt.timedelta(days=100)
    CertificationFactory(technician=tech_a, issued_on=issued)  # CPhT: 20 h of CE due this cycle
    PracticeTestFactory(
        technician=tech_a,
        taken_on=today - dt.timedelta(days=30),
        score=74,
        domain_scores={"medications": 78, "federal_requirements": 62, "patient_safety": 77, "order_entry": 75},
    )
    due = _day(add_months(issued, 24) - dt.timedelta(days=30))

    logged_in_page(technician_user)
    page.get_by_role("link", name="My certifications", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="My certifications")).to_be_visible()
    renewal = page.get_by_test_id("renewal-message")
    expect(renewal).to_have_text(
        f"20 h more CE, incl. 1 h of law, 1 h of patient safety and 15 h technician-specific, by {due}."
    )

    # Log a CE credit: the topic (law) and the audience (technician) come from the UAN.
    completed = today - dt.timedelta(days=5)
    page.get_by_role("link", name="Log CE credit").first.click()
    expect(page.get_by_role("heading", level=1, name="Log a CE credit")).to_be_visible()
    shoot(page, "certifications-ce-form")
    assert_accessible(page)
    page.get_by_label("Title").fill("Pharmacy Law Update for Technicians")
    page.get_by_label("Provider").fill("Ohio Pharmacists Foundation")
    page.get_by_label("UAN").fill(f"0129-0000-{completed.year % 100:02d}-044-h03-t")
    page.get_by_label("Completed on").fill(completed.isoformat())
    page.get_by_label("Contact hours").fill("1.5")
    page.get_by_role("button", name="Log CE credit").click()

    expect(page.get_by_role("alert")).to_contain_text("Logged 1.5 h of pharmacy law (technician-specific).")
    expect(renewal).to_have_text(
        f"18.5 h more CE, incl. 1 h of patient safety and 13.5 h technician-specific, by {due}."
    )
    ce_table = page.locator("#ce")
    expect(ce_table).to_contain_text("Pharmacy Law Update for Technicians")
    expect(ce_table).to_contain_text(f"0129-0000-{completed.year % 100:02d}-044-H03-T")

    # Log a practice test with a score per PTCE domain.
    page.get_by_role("link", name="Log practice test").first.click()
    expect(page.get_by_role("heading", level=1, name="Log a practice test")).to_be_visible()
    shoot(page, "certifications-practice-form")
    assert_accessible(page)
    page.get_by_label("Taken on").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Source").fill("Medical Hero")
    page.get_by_label("Overall score (%)").fill("81")
    page.get_by_label("Medications (%)").fill("86")
    page.get_by_label("Federal Requirements (%)").fill("66")
    page.get_by_label("Patient Safety and Quality Assurance (%)").fill("83")
    page.get_by_label("Order Entry and Processing (%)").fill("80")
    page.get_by_role("button", name="Log practice test").click()

    expect(page.get_by_role("alert")).to_contain_text("Practice test logged: 81%.")
    expect(page).to_have_url(re.compile(r"/certifications/me/#practice$"))
    expect(page.get_by_test_id("readiness")).to_have_text(
        re.compile(r"Not ready yet: the last two attempts scored 81% and 74%; both need 75% or more\.")
    )
    # Federal Requirements: (66 + 62) / 2 = 64, the lowest average.
    expect(page.get_by_test_id("weakest-domain")).to_have_text("Federal Requirements")
    chart = page.locator("canvas#practice-chart")
    expect(chart).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('practice-chart'))")
    points = page.evaluate("() => Chart.getChart(document.getElementById('practice-chart')).data.datasets[0].data")
    assert points == [74, 81]
    box = chart.bounding_box()
    assert box and box["height"] > 200

    shoot(page, "certifications-technician")
    assert_fits_phone(page)
    assert_accessible(page)

    # The /me/ page leads with the same deadlines in plain words.
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", name="Certification deadlines")).to_be_visible()
    expect(page.get_by_text(re.compile(r"CPhT renewal due in \d+ days"))).to_be_visible()


def test_manager_verifies_from_the_queue(page: Page, live_server, logged_in_page, manager_user, tech_a):
    UnverifiedCertificationFactory(
        technician=tech_a, type=cert_type("BLS"), issued_on=dt.date(2025, 2, 3), number="AHA-5521"
    )
    logged_in_page(manager_user)
    page.get_by_role("button", name="Certifications").click()  # the group in the navbar
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", level=1, name="Certifications")).to_be_visible()
    shoot(page, "certifications-overview")
    assert_fits_phone(page)
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Verification queue")).click()
    table = page.get_by_role("table", name="Certifications awaiting verification")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Archer, Alice")
    shoot(page, "certifications-verification-queue")
    assert_accessible(page)

    page.get_by_role("button", name="Verify Basic Life Support (BLS) of Alice Archer").click()
    expect(page.get_by_role("alert")).to_contain_text("Basic Life Support (BLS) of Alice Archer verified.")
    expect(page.get_by_text("Nothing waits for verification.")).to_be_visible()
