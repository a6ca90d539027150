"""Credentials as PTCB defines them: the CPhT-Adv upgrade, the renewal rule as hr's policy,
reinstatement, CE without a UAN, the CSPT renewal and certificates waiting for verification.

Dates are worked out by hand in each test; TODAY is 2026-06-15 unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from certifications import selectors, services
from certifications.models import CECredit, Certification, CertificationType
from certifications.renewal import format_day
from technicians.models import Technician
from tests.certifications.factories import (
    CECreditFactory,
    CertificationFactory,
    UnverifiedCertificationFactory,
    cert_type,
)
from tests.certifications.test_evidence import PDF
from tests.factories import TechnicianFactory

D = dt.date
H = Decimal
TODAY = D(2026, 6, 15)

pytestmark = pytest.mark.django_db


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("transcript.pdf", PDF, content_type="application/pdf")


def credit(tech, day, uan, hours) -> CECredit:
    return CECreditFactory(technician=tech, completed_on=day, uan=uan, hours=H(hours))


def ptcb_status_sql(tech, today=TODAY) -> str:
    return (
        selectors.with_ptcb(Technician.objects.filter(pk=tech.pk), today=today, window_months=9)
        .values_list("ptcb_status", flat=True)
        .get()
    )


# --- CPhT-Adv: an upgrade of the same credential ----------------------------------------


def test_an_upgrade_to_cpht_adv_keeps_the_cphts_number_and_cycle_and_renews_once(tech_a, manager_user):
    """CPhT 318207 issued 2023-04-01, renewed to 2027-04-01. The upgrade recorded on
    2026-02-10 without number or expiry takes both from the CPhT; renewal progress lists the
    CPhT-Adv alone (25 h), not the CPhT as well."""
    cpht = CertificationFactory(technician=tech_a, number="318207", issued_on=D(2023, 4, 1), expires_on=D(2027, 4, 1))
    adv = services.certification_record(
        technician=tech_a, type=cert_type("CPHT_ADV"), issued_on=D(2026, 2, 10), recorded_by=manager_user, today=TODAY
    )
    assert (adv.upgraded_from_id, adv.number, adv.expires_on) == (cpht.pk, "318207", D(2027, 4, 1))

    renewals = selectors.renewal_progress_for(technician=tech_a, today=TODAY)
    assert [(r["type"], r["ce_required"]) for r in renewals] == [("CPHT_ADV", H("25.00"))]
    # The upgrade continues the CPhT's cycle: 2027-04-01 less 24 months, not its own issue date.
    assert renewals[0]["cycle_start"] == D(2025, 4, 1)
    standing = selectors.technician_standing(technician=tech_a, today=TODAY)
    shown = {c.type.code: c.upgraded for c in standing["certifications"]}
    assert shown["CPHT"].pk == adv.pk
    # One renewal to do, due 2027-03-02 (30 days before expiry): 260 days after 2026-06-15.
    assert [d["text"] for d in standing["deadlines"]] == ["CPhT-Adv renewal due in 260 days"]


def test_an_active_cpht_adv_meets_ptcb_and_every_cpht_requirement_alone(tech_a):
    """The CPhT record expired 2026-04-01; the CPhT-Adv renewed on 2026-03-20 runs to
    2028-04-01. PTCB is met (Python and SQL), the ladder reads CPhT as held, and a CSPT
    (which requires an active CPhT) may be recorded."""
    CertificationFactory(technician=tech_a, issued_on=D(2022, 4, 1), expires_on=D(2026, 4, 1))
    CertificationFactory(
        technician=tech_a, type=cert_type("CPHT_ADV"), issued_on=D(2026, 3, 20), expires_on=D(2028, 4, 1)
    )
    assert selectors.ptcb_for(technician=tech_a, today=TODAY)["status"] == "met"
    assert ptcb_status_sql(tech_a) == "met"
    held = selectors.certification_codes_held(technician_ids=[tech_a.pk], on=TODAY)[tech_a.pk]
    assert held == {"CPHT", "CPHT_ADV"}
    cspt = services.certification_record(
        technician=tech_a, type=cert_type("CSPT"), issued_on=D(2026, 5, 1), number="CSPT-1", today=TODAY
    )
    assert cspt.expires_on == D(2027, 5, 1)


def test_an_upgrade_with_another_number_or_cycle_is_refused(tech_a, manager_user):
    CertificationFactory(technician=tech_a, number="318207", issued_on=D(2023, 4, 1), expires_on=D(2027, 4, 1))
    with pytest.raises(ApplicationError) as info:
        services.certification_record(
            technician=tech_a,
            type=cert_type("CPHT_ADV"),
            issued_on=D(2026, 2, 10),
            number="999999",
            expires_on=D(2028, 2, 10),
            recorded_by=manager_user,
            today=TODAY,
        )
    assert info.value.message_dict == {
        "number": [
            "Advanced Certified Pharmacy Technician (CPhT-Adv) upgrades the CPhT and keeps its number (318207)."
        ],
        "expires_on": [
            "Advanced Certified Pharmacy Technician (CPhT-Adv) keeps the CPhT's cycle: it expires April 1, 2027, "
            "as the CPhT does."
        ],
    }
    assert Certification.objects.filter(technician=tech_a).count() == 1


def test_the_migration_links_existing_cpht_adv_records_to_their_cpht(tech_a):
    """Rows written before the upgrade was modelled: the bulk linker (the migration's and the
    import's rule) links a CPhT-Adv to the CPhT with its number."""
    old = CertificationFactory(technician=tech_a, number="100001", issued_on=D(2019, 1, 1), expires_on=D(2021, 1, 1))
    cpht = CertificationFactory(technician=tech_a, number="100001", issued_on=D(2021, 1, 1), expires_on=D(2027, 1, 1))
    adv = CertificationFactory(
        technician=tech_a,
        type=cert_type("CPHT_ADV"),
        number="100001",
        issued_on=D(2025, 6, 1),
        expires_on=D(2027, 1, 1),
    )
    assert services.link_upgrades(technician_ids=[tech_a.pk]) == 1
    adv.refresh_from_db()
    assert adv.upgraded_from_id == cpht.pk != old.pk
    assert services.link_upgrades(technician_ids=[tech_a.pk]) == 0


# --- The renewal rule is hr's policy --------------------------------------------------------


def test_the_renewal_rule_follows_hr_lowering_the_pharmacist_hour_cap(tech_a, hr_user):
    """CPhT expiring 2027-01-31 (cycle from 2025-01-31): 15 h technician-specific incl. 1 h
    law and 1 h patient safety, and 8 h pharmacist-specific. Cap 5: 15 + 5 = 20, complete.
    Hr lowers the cap to 3: 15 + 3 = 18, "2 h more CE"; the history says who and what."""
    CertificationFactory(technician=tech_a, issued_on=D(2023, 1, 31), expires_on=D(2027, 1, 31))
    credit(tech_a, D(2025, 3, 1), "0145-0000-25-001-H03-T", "1")
    credit(tech_a, D(2025, 4, 1), "0145-0000-25-002-H05-T", "1")
    credit(tech_a, D(2025, 5, 1), "0145-0000-25-003-H01-T", "13")
    credit(tech_a, D(2025, 6, 1), "0145-0000-25-004-H01-P", "8")
    before = selectors.renewal_progress_for(technician=tech_a, today=TODAY)[0]
    assert (before["counted_hours"], before["complete"]) == (H("20.00"), True)

    cpht = CertificationType.objects.get(code="CPHT")
    services.certification_type_update(
        certification_type=cpht, data={"max_pharmacist_hours": H("3")}, updated_by=hr_user
    )
    after = selectors.renewal_progress_for(technician=tech_a, today=TODAY)[0]
    assert (after["counted_hours"], after["pharmacist_hours_counted"]) == (H("18.00"), H("3"))
    assert after["message"] == "2 h more CE, by January 1, 2027."
    latest = cpht.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (hr_user, "max pharmacist hours: 5 \u2192 3")


def test_hr_sees_the_rules_history_on_the_type_page(client, hr_user):
    cpht = CertificationType.objects.get(code="CPHT")
    services.certification_type_update(certification_type=cpht, data={"max_college_hours": H("8")}, updated_by=hr_user)
    client.force_login(hr_user)
    page = client.get(reverse("certifications:type-edit", args=[cpht.pk])).content.decode()
    assert "Changes to this rule" in page
    assert "max college hours: 10 \u2192 8" in page


# --- Reinstatement ---------------------------------------------------------------------------


def test_reinstatement_progress_and_deadline_after_expiry(tech_a):
    """CPhT expired 2026-03-31 (cycle from 2024-03-31): reinstate by 2027-03-31 with 20 h incl.
    2 h law and 1 h patient safety. Counted: 1 h law (2024-05-01), 1 h safety (2025-01-10),
    8 h (2025-06-01) and 1 h law after expiry (2026-05-01) = 11 h, all technician-specific;
    the 2 h of 2024-01-15 predate the cycle. Needed: 20 - 11 = 9 h, of which 4 h more
    technician-specific (15 - 11)."""
    CertificationFactory(technician=tech_a, issued_on=D(2022, 3, 31), expires_on=D(2026, 3, 31))
    credit(tech_a, D(2024, 1, 15), "0145-0000-24-010-H01-T", "2")
    credit(tech_a, D(2024, 5, 1), "0145-0000-24-011-H03-T", "1")
    credit(tech_a, D(2025, 1, 10), "0145-0000-25-012-H05-T", "1")
    credit(tech_a, D(2025, 6, 1), "0145-0000-25-013-H01-T", "8")
    credit(tech_a, D(2026, 5, 1), "0145-0000-26-014-H03-T", "1")

    standing = selectors.technician_standing(technician=tech_a, today=TODAY)
    [row] = standing["reinstatements"]
    assert (row["status"], row["deadline"], row["counted_hours"], row["law_hours"]) == (
        "reinstate",
        D(2027, 3, 31),
        H("11.00"),
        H("2.00"),
    )
    assert row["headline"] == "Expired \u2014 reinstate by March 31, 2027"
    assert row["message"] == "9 h more CE, incl. 4 h technician-specific to reinstate, by March 31, 2027."
    assert standing["ptcb"]["summary"] == "PTCB lapsed: CPhT expired March 31, 2026"
    assert [d["text"] for d in standing["deadlines"]] == ["CPhT expired \u2014 reinstate by March 31, 2027"]

    later = selectors.technician_standing(technician=tech_a, today=D(2027, 4, 1))
    assert later["reinstatements"][0]["headline"] == "Lapsed beyond reinstatement: retake the exam"
    assert [d["text"] for d in later["deadlines"]] == ["CPhT lapsed beyond reinstatement: retake the exam"]


def test_the_technician_page_shows_the_reinstatement(client, tech_a, technician_user):
    """Expired 60 days before today: reinstate by the expiry date plus 12 months."""
    today = timezone.localdate()
    expired = today - dt.timedelta(days=60)
    CertificationFactory(technician=tech_a, issued_on=add_months(expired, -24), expires_on=expired)
    client.force_login(technician_user)
    page = client.get(reverse("certifications:mine")).content.decode()
    assert f"Expired \u2014 reinstate by {format_day(add_months(expired, 12))}" in page
    assert f"The CPhT expired on <strong>{expired:%B} {expired.day}, {expired.year}</strong>" in page


# --- CE without a UAN ----------------------------------------------------------------------


def test_a_college_course_counts_ten_hours_at_most_and_only_when_verified(tech_a, technician_user, manager_user):
    """CPhT expiring 2027-01-31. ACPE: 1 h law, 1 h safety, 4 h general = 6 h. A 12 h college
    course, verified: 10 h count (PTCB's cap): 16 h, "4 h more CE". A 2 h non-ACPE workshop
    the technician logs waits: "(2 h waiting for verification)"; verified, 18 h."""
    CertificationFactory(technician=tech_a, issued_on=D(2023, 1, 31), expires_on=D(2027, 1, 31))
    credit(tech_a, D(2025, 3, 1), "0145-0000-25-021-H03-T", "1")
    credit(tech_a, D(2025, 4, 1), "0145-0000-25-022-H05-T", "1")
    credit(tech_a, D(2025, 5, 1), "0145-0000-25-023-H04-T", "4")
    college = services.ce_credit_record(
        technician=tech_a,
        completed_on=D(2025, 12, 12),
        title="PHAR 210 Pharmacology for Technicians",
        provider="Madison Area Technical College",
        source="college",
        hours="12",
        evidence=proof(),
        recorded_by=manager_user,
        today=TODAY,
    )
    assert college.verified_at is not None  # a manager's own entry is checked as it is made
    workshop = services.ce_credit_record(
        technician=tech_a,
        completed_on=D(2026, 5, 2),
        title="Hospital Medication Safety Workshop",
        provider="State Society of Health-System Pharmacists",
        source="non_acpe",
        topic="05",
        hours="2",
        evidence=proof(),
        recorded_by=technician_user,
        today=TODAY,
    )
    progress = selectors.renewal_progress_for(technician=tech_a, today=TODAY)[0]
    assert (progress["counted_hours"], progress["college_hours_counted"]) == (H("16.00"), H("10"))
    assert progress["message"] == "4 h more CE (2 h waiting for verification), by January 1, 2027."

    with pytest.raises(PermissionDenied):
        services.ce_credit_verify(ce_credit=workshop, verified_by=technician_user)
    services.ce_credit_verify(ce_credit=workshop, verified_by=manager_user, today=TODAY)
    progress = selectors.renewal_progress_for(technician=tech_a, today=TODAY)[0]
    assert (progress["counted_hours"], progress["patient_safety_hours"]) == (H("18.00"), H("3.00"))
    assert progress["message"] == "2 h more CE, by January 1, 2027."


def test_ce_without_a_uan_needs_its_proof_and_no_uan(tech_a, technician_user):
    with pytest.raises(ApplicationError) as info:
        services.ce_credit_record(
            technician=tech_a,
            completed_on=D(2026, 5, 2),
            title="Workshop",
            provider="A society",
            source="non_acpe",
            uan="0145-0000-25-021-H03-T",
            topic="99",
            hours="2",
            recorded_by=technician_user,
            today=TODAY,
        )
    assert info.value.message_dict == {
        "uan": ["CE without an ACPE number has no UAN: choose ACPE-accredited to enter one."],
        "topic": ["Choose general pharmacy, pharmacy law, patient safety or compounding."],
        "evidence": [
            "Attach the proof of completion (a certificate or transcript): CE without a UAN counts only when verified."
        ],
    }
    assert not CECredit.objects.exists()


def test_the_manager_verifies_ce_proof_on_the_technician_page(client, tech_a, technician_user, manager_user):
    workshop = services.ce_credit_record(
        technician=tech_a,
        completed_on=D(2026, 5, 2),
        title="Hospital Medication Safety Workshop",
        provider="State Society",
        source="non_acpe",
        hours="2",
        evidence=proof(),
        recorded_by=technician_user,
    )
    client.force_login(manager_user)
    page = client.get(reverse("certifications:technician", args=[tech_a.pk])).content.decode()
    assert "Waiting for verification" in page and "Verify proof" in page
    response = client.post(reverse("certifications:ce-credit-verify", args=[workshop.pk]))
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.verified_by == manager_user


# --- CSPT renewal ------------------------------------------------------------------------------


def test_cspt_renewal_progress_with_attestation_compounding_ce_and_cpht(tech_a, manager_user, hr_user):
    """CSPT 2025-08-01 to 2026-08-01: window opened 2026-06-02, apply by 2026-07-02. 1 h of
    sterile-compounding CE (topic 07) of the 2.5 h; no attestation yet; the CPhT expired
    2026-06-01. Then the CPhT is renewed, a qualified supervisor attests and hr lowers the
    compounding hours to 1: complete."""
    cpht = CertificationFactory(technician=tech_a, issued_on=D(2024, 6, 1), expires_on=D(2026, 6, 1))
    cspt = CertificationFactory(
        technician=tech_a, type=cert_type("CSPT"), issued_on=D(2025, 8, 1), expires_on=D(2026, 8, 1)
    )
    credit(tech_a, D(2025, 10, 1), "0530-0000-25-031-H07-T", "1")
    [row] = [r for r in selectors.renewal_progress_for(technician=tech_a, today=TODAY) if r["type"] == "CSPT"]
    assert (row["status"], row["compounding_hours"], row["compounding_needed"]) == ("due_soon", H("1.00"), H("1.50"))
    assert row["message"] == (
        "An active CPhT, 1.5 h more CE, incl. 1.5 h of sterile compounding and a supervisor's attestation of "
        "sterile-compounding competency, by July 2, 2026."
    )

    cpht.expires_on = D(2028, 6, 1)
    cpht.save()
    services.attestation_record(
        certification=cspt,
        attested_on=D(2026, 5, 20),
        supervisor_name="Dana Reyes, PharmD",
        supervisor_qualification="Pharmacist, USP <797> designated person",
        recorded_by=manager_user,
        today=TODAY,
    )
    services.certification_type_update(
        certification_type=CertificationType.objects.get(code="CSPT"),
        data={"min_compounding_hours": H("1")},
        updated_by=hr_user,
    )
    [row] = [r for r in selectors.renewal_progress_for(technician=tech_a, today=TODAY) if r["type"] == "CSPT"]
    assert row["message"] == (
        "CE complete: 1 h of sterile compounding. Attested on May 20, 2026 by Dana Reyes, PharmD "
        "(Pharmacist, USP <797> designated person). Apply for renewal by July 2, 2026."
    )


# --- Waiting for verification --------------------------------------------------------------


def test_a_self_reported_cpht_waits_for_verification_and_does_not_count(site_a):
    """Hired 2026-01-05: PTCB deadline 2026-10-05. A self-reported CPhT of 2026-06-01 does not
    count: the status stays on track (SQL and Python), the words say it waits."""
    tech = TechnicianFactory(site=site_a, hire_date=D(2026, 1, 5))
    UnverifiedCertificationFactory(technician=tech, issued_on=D(2026, 6, 1), expires_on=D(2028, 6, 1))
    ptcb = selectors.ptcb_for(technician=tech, today=TODAY)
    assert (ptcb["status"], ptcb["deadline"], ptcb["awaiting_verification"]) == ("on_track", D(2026, 10, 5), True)
    assert ptcb["summary"] == "PTCB waiting for verification"
    assert ptcb_status_sql(tech) == "on_track"


def test_the_ptcb_kpi_counts_a_cpht_adv_held_on_the_deadline(site_a):
    """Hired 2025-01-10: deadline 2025-10-10, in October 2025. On the deadline the technician
    holds a verified CPhT-Adv (issued 2025-09-01) and no CPhT record: due 1, met 1, 100 %."""
    from metrics import kpis

    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 1, 10))
    CertificationFactory(technician=tech, type=cert_type("CPHT_ADV"), issued_on=D(2025, 9, 1), expires_on=D(2027, 9, 1))
    figures = kpis.compute_kpis(start=D(2025, 10, 1), end=D(2025, 10, 31))
    assert (figures["ptcb_due"], figures["ptcb_met"], figures["ptcb_on_time_rate"]) == (1, 1, 100.0)


def test_a_duty_that_asks_for_cpht_is_authorised_by_an_active_cpht_adv(tech_a):
    from training.models import Duty
    from training.selectors import duty_standings

    duty = Duty.objects.create(code="CS_COUNT_TEST", name="Controlled-substance counts (test)")
    duty.certification_types.add(cert_type("CPHT"))
    CertificationFactory(
        technician=tech_a, type=cert_type("CPHT_ADV"), issued_on=D(2026, 3, 20), expires_on=D(2028, 4, 1)
    )
    [standing] = duty_standings(technicians=[tech_a], on=TODAY, duties=[duty])[tech_a.pk]
    assert (standing.authorised, standing.lapses_on, standing.missing) == (True, D(2028, 4, 1), [])


def test_a_manager_verifies_ce_proof_through_the_api(client, tech_a, technician_user, manager_user):
    workshop = services.ce_credit_record(
        technician=tech_a,
        completed_on=D(2026, 5, 2),
        title="Hospital Medication Safety Workshop",
        provider="State Society",
        source="non_acpe",
        hours="2",
        evidence=proof(),
        recorded_by=technician_user,
    )
    client.force_login(technician_user)
    assert client.post(f"/api/v1/ce-credits/{workshop.pk}/verify/").status_code == 403
    client.force_login(manager_user)
    response = client.post(f"/api/v1/ce-credits/{workshop.pk}/verify/")
    assert (response.status_code, response.json()["verified"], response.json()["source"]) == (200, True, "non_acpe")
    again = client.post(f"/api/v1/ce-credits/{workshop.pk}/verify/")
    assert (again.status_code, again.json()) == (400, {"detail": "This CE credit is verified already."})


def test_the_progress_api_carries_reinstatement_and_waiting_for_verification(client, tech_a, manager_user):
    """A CPhT expired 30 days ago, and a self-reported one entered since: the progress says the
    PTCB baseline waits for verification and lists the reinstatement with its deadline."""
    today = timezone.localdate()
    expired = today - dt.timedelta(days=30)
    CertificationFactory(technician=tech_a, issued_on=add_months(expired, -24), expires_on=expired)
    UnverifiedCertificationFactory(technician=tech_a, issued_on=today - dt.timedelta(days=2), expires_on=None)
    client.force_login(manager_user)
    body = client.get(f"/api/v1/technicians/{tech_a.pk}/progress/").json()
    assert (body["ptcb"]["awaiting_verification"], body["ptcb"]["summary"]) == (True, "PTCB waiting for verification")
    [row] = body["reinstatements"]
    assert (row["type"], row["status"], row["deadline"]) == ("CPHT", "reinstate", add_months(expired, 12).isoformat())
    assert [c["awaiting_verification"] for c in body["certifications"]] == [True, False]
