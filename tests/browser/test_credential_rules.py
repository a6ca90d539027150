"""The pages of the credential and competency rules, as hr and a manager meet them in Chromium:
the USP <797> and tech-check-tech policy, a certification type's rule with its history, and a
technician's certifications with a reinstatement and CE waiting for verification. Each fits
a phone (a wide table scrolls in its own frame, its hidden labels with it) and has no serious
accessibility problem."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from careerladder.core.dates import add_months
from certifications import services
from certifications.models import CertificationType
from certifications.renewal import format_day
from tests.browser.conftest import assert_accessible, assert_fits_phone, shoot
from tests.certifications.factories import CertificationFactory
from tests.certifications.test_evidence import PDF


def test_hr_reads_the_competency_policy_on_a_phone(page: Page, live_server, logged_in_page, hr_user):
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/ladder/competencies/policy/")
    expect(page.get_by_test_id("tct-rules")).to_contain_text("Default")
    assert_fits_phone(page)
    shoot(page, "competency-policy")
    assert_accessible(page)


def test_hr_changes_the_pharmacist_hour_cap_and_sees_it_in_the_history(
    page: Page, live_server, logged_in_page, hr_user
):
    cpht = CertificationType.objects.get(code="CPHT")
    logged_in_page(hr_user)
    page.goto(f"{live_server.url}/certifications/types/{cpht.pk}/edit/")
    page.get_by_label("At most, pharmacist-specific hours counted (P)").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Certification type saved.")).to_be_visible()
    page.goto(f"{live_server.url}/certifications/types/{cpht.pk}/edit/")
    history = page.get_by_role("region", name="Changes to this rule")
    expect(history).to_contain_text("max pharmacist hours: 5 \u2192 3")
    assert_fits_phone(page)
    assert_accessible(page)


def test_a_manager_sees_the_reinstatement_and_verifies_ce_proof(
    page: Page, live_server, logged_in_page, manager_user, technician_user, tech_a
):
    today = timezone.localdate()
    expired = today - dt.timedelta(days=60)
    CertificationFactory(technician=tech_a, issued_on=add_months(expired, -24), expires_on=expired)
    services.ce_credit_record(
        technician=tech_a,
        completed_on=today - dt.timedelta(days=10),
        title="Hospital Medication Safety Workshop",
        provider="State Society of Health-System Pharmacists",
        source="non_acpe",
        topic="03",
        hours="2",
        evidence=SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf"),
        recorded_by=technician_user,
    )
    logged_in_page(manager_user)
    page.goto(f"{live_server.url}/technicians/{tech_a.pk}/certifications/")
    expect(page.get_by_test_id("reinstatement")).to_contain_text(
        f"Expired \u2014 reinstate by {format_day(add_months(expired, 12))}"
    )
    # Unverified, the 2 h wait: 18 h more, and 1 h of law (of the 2 reinstatement needs) too.
    expect(page.get_by_test_id("reinstatement")).to_contain_text("(2 h waiting for verification)")
    assert_fits_phone(page)
    shoot(page, "certifications-reinstatement")
    assert_accessible(page)

    page.get_by_role("button", name="Verify proof").first.click()
    expect(page.get_by_text("Verified: Hospital Medication Safety Workshop now counts")).to_be_visible()
    expect(page.get_by_test_id("reinstatement")).to_contain_text("CE hours counted toward reinstatement")
    expect(page.get_by_test_id("reinstatement")).to_contain_text("2 of 20 h")
