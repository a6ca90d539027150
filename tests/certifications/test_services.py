"""Writes: certifications, verification, extensions, CE credits, practice tests,
attestations and incentives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from certifications import services
from certifications.models import CECredit, Certification, PtcbExtension
from incentives import services as incentives_services
from incentives.models import Incentive, IncentiveProgram
from tests.certifications.factories import (
    CECreditFactory,
    CertificationFactory,
    IncentiveFactory,
    UnverifiedCertificationFactory,
    cert_type,
)
from tests.certifications.test_evidence import EXE, PNG
from tests.factories import TechnicianFactory
from tiers.models import Tier, TierAssignment

D = dt.date
TODAY = D(2025, 12, 1)

pytestmark = pytest.mark.django_db


# --- Held certifications -----------------------------------------------------------------


def test_a_technicians_own_entry_is_self_reported_and_unverified(tech_a, technician_user):
    cert = services.certification_record(
        technician=tech_a,
        type=cert_type("CPHT"),
        issued_on=D(2024, 9, 1),
        number="123456",
        recorded_by=technician_user,
        today=TODAY,
    )
    assert (cert.self_reported, cert.verified, cert.expires_on) == (True, False, D(2026, 9, 1))


def test_a_managers_entry_is_verified_at_once(tech_a, manager_user):
    cert = services.certification_record(
        technician=tech_a, type=cert_type("BLS"), issued_on=D(2025, 1, 20), recorded_by=manager_user, today=TODAY
    )
    assert (cert.self_reported, cert.verified, cert.verified_by, cert.expires_on) == (
        False,
        True,
        manager_user,
        D(2027, 1, 20),
    )


def test_assessment_certificates_and_cspt_need_a_cpht(tech_a, hr_user):
    with pytest.raises(ValidationError) as info:
        services.certification_record(
            technician=tech_a, type=cert_type("CSPT"), issued_on=D(2025, 3, 1), recorded_by=hr_user, today=TODAY
        )
    assert info.value.message_dict["type"] == [
        "Compounded Sterile Preparation Technician (CSPT) requires an active Certified Pharmacy Technician "
        "(CPhT): record the CPHT held on March 1, 2025 first."
    ]
    CertificationFactory(technician=tech_a, issued_on=D(2024, 9, 1))
    cspt = services.certification_record(
        technician=tech_a, type=cert_type("CSPT"), issued_on=D(2025, 3, 1), recorded_by=hr_user, today=TODAY
    )
    assert cspt.expires_on == D(2026, 3, 1)


def test_date_rules(tech_a, hr_user):
    with pytest.raises(ValidationError) as info:
        services.certification_record(
            technician=tech_a, type=cert_type("STATE_REG"), issued_on=D(2025, 1, 1), today=TODAY
        )
    assert info.value.message_dict == {
        "expires_on": ["Give the expiry date printed on the registration; each state sets its own."]
    }
    with pytest.raises(ValidationError) as info:
        services.certification_record(technician=tech_a, type=cert_type("BLS"), issued_on=D(2025, 12, 2), today=TODAY)
    assert info.value.message_dict == {"issued_on": ["The issue date cannot be in the future."]}
    with pytest.raises(ValidationError) as info:
        services.certification_record(
            technician=tech_a, type=cert_type("BLS"), issued_on=D(2025, 6, 1), expires_on=D(2025, 6, 1), today=TODAY
        )
    assert info.value.message_dict == {"expires_on": ["The expiry date must be after the issue date."]}
    assert Certification.objects.count() == 0


def test_evidence_is_stored_by_content_and_wrong_content_refused(tech_a, technician_user):
    cert = services.certification_record(
        technician=tech_a,
        type=cert_type("BLS"),
        issued_on=D(2025, 1, 20),
        recorded_by=technician_user,
        evidence=SimpleUploadedFile("bls-card.pdf", PNG),
        today=TODAY,
    )
    assert cert.evidence.name.startswith("evidence/") and cert.evidence.name.endswith(".png")
    with pytest.raises(ValidationError) as info:
        services.certification_record(
            technician=tech_a,
            type=cert_type("CPHT"),
            issued_on=D(2025, 1, 20),
            recorded_by=technician_user,
            evidence=SimpleUploadedFile("cpht.pdf", EXE),
            today=TODAY,
        )
    assert list(info.value.message_dict) == ["evidence"]
    assert Certification.objects.count() == 1


def test_verify_and_return(tech_a, manager_user, technician_user):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    with pytest.raises(ValidationError) as info:
        services.certification_reject(certification=cert, rejected_by=manager_user, reason="  ")
    assert info.value.message_dict == {"reason": ["Say why, so the technician can correct it."]}
    services.certification_reject(certification=cert, rejected_by=manager_user, reason="Number not found at PTCB.")
    cert.refresh_from_db()
    assert (cert.rejected_by, cert.rejection_reason) == (manager_user, "Number not found at PTCB.")

    # The technician corrects it: back in the queue, not returned any more.
    services.certification_update(
        certification=cert, data={"number": "654321"}, updated_by=technician_user, today=TODAY
    )
    cert.refresh_from_db()
    assert (cert.number, cert.rejected_at, cert.rejection_reason) == ("654321", None, "")

    services.certification_verify(certification=cert, verified_by=manager_user, today=TODAY)
    cert.refresh_from_db()
    assert (cert.verified, cert.verified_by) == (True, manager_user)
    with pytest.raises(ApplicationError):
        services.certification_verify(certification=cert, verified_by=manager_user, today=TODAY)
    with pytest.raises(ApplicationError):
        services.certification_reject(certification=cert, rejected_by=manager_user, reason="Too late")
    assert [h.history_change_reason for h in cert.history.order_by("history_id")][-1] == "Verified"


def test_a_renewal_moves_the_expiry_and_history_keeps_the_old_one(tech_a, manager_user):
    cert = CertificationFactory(technician=tech_a, issued_on=D(2023, 11, 1))
    services.certification_update(
        certification=cert, data={"expires_on": D(2027, 11, 1)}, updated_by=manager_user, today=TODAY
    )
    assert [h.expires_on for h in cert.history.order_by("history_id")] == [D(2025, 11, 1), D(2027, 11, 1)]


# --- PTCB extensions ------------------------------------------------------------------------


def test_extension_rules_and_history(site_a, manager_user):
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 5, 31))  # policy deadline 2026-02-28
    with pytest.raises(ValidationError) as info:
        services.ptcb_extension_grant(
            technician=tech, extended_to=D(2026, 2, 28), reason="", granted_by=manager_user, today=TODAY
        )
    assert info.value.message_dict == {
        "reason": ["Give the reason for the extension."],
        "extended_to": ["An extension must move the deadline past February 28, 2026 (hire date + 9 months)."],
    }
    first = services.ptcb_extension_grant(
        technician=tech, extended_to=D(2026, 6, 30), reason="Exam rescheduled", granted_by=manager_user, today=TODAY
    )
    services.ptcb_extension_grant(
        technician=tech,
        extended_to=D(2026, 4, 30),
        reason="Typo in the first one",
        granted_by=manager_user,
        today=TODAY,
    )
    assert list(PtcbExtension.objects.filter(technician=tech).values_list("extended_to", flat=True)) == [
        D(2026, 4, 30),
        D(2026, 6, 30),
    ]
    assert (first.granted_on, first.granted_by, first.history.get().history_user) == (TODAY, manager_user, manager_user)


# --- CE credits -----------------------------------------------------------------------------


def test_ce_credit_reads_topic_and_audience_from_the_uan(tech_a, technician_user):
    credit = services.ce_credit_record(
        technician=tech_a,
        completed_on=D(2025, 11, 3),
        title="Pharmacy Law Update 2025",
        provider="Ohio Pharmacists Foundation",
        uan="0129-0000-25-044-h03-t",
        hours="1.5",
        recorded_by=technician_user,
        today=TODAY,
    )
    assert (credit.uan, credit.activity_type, credit.topic, credit.audience, credit.hours) == (
        "0129-0000-25-044-H03-T",
        "H",
        "03",
        "T",
        Decimal("1.50"),
    )


def test_ce_credit_validation(tech_a):
    CECreditFactory(technician=tech_a, uan="0129-0000-25-044-H03-T")
    base = {"technician": tech_a, "title": "T", "provider": "P", "today": TODAY}
    with pytest.raises(ValidationError) as info:
        services.ce_credit_record(**base, completed_on=D(2025, 11, 3), uan="0129-0000-25-044-H03-T", hours=1)
    assert info.value.message_dict == {"uan": ["0129-0000-25-044-H03-T is logged already: an activity counts once."]}
    with pytest.raises(ValidationError) as info:
        services.ce_credit_record(**base, completed_on=D(2025, 12, 2), uan="bogus", hours=0)
    assert info.value.message_dict == {
        "completed_on": ["The completion date cannot be in the future."],
        "uan": ["'bogus' is not an ACPE universal activity number; it looks like 0145-0000-25-012-H03-T."],
        "hours": ["Contact hours must be more than 0."],
    }
    for hours, message in (
        ("41", "One activity gives at most 40 contact hours."),
        ("1.333", "Use at most two decimals (e.g. 0.75)."),
    ):
        with pytest.raises(ValidationError) as info:
            services.ce_credit_record(**base, completed_on=D(2025, 11, 3), uan="0129-0000-25-045-H05-T", hours=hours)
        assert info.value.message_dict == {"hours": [message]}
    assert CECredit.objects.count() == 1


# --- Practice tests ---------------------------------------------------------------------------


def test_practice_test_validation(tech_a):
    scores = {"medications": 80, "federal_requirements": 70, "patient_safety": 75, "order_entry": 72}
    test = services.practice_test_record(
        technician=tech_a,
        taken_on=D(2025, 11, 20),
        source=" Medical Hero ",
        score="76",
        domain_scores=scores,
        today=TODAY,
    )
    assert (test.source, test.score, test.domain_scores) == ("Medical Hero", 76, scores)
    with pytest.raises(ValidationError) as info:
        services.practice_test_record(
            technician=tech_a,
            taken_on=D(2025, 12, 2),
            source="",
            score=101,
            domain_scores={**scores, "order_entry": 100.5},
            today=TODAY,
        )
    assert info.value.message_dict == {
        "taken_on": ["The date cannot be in the future."],
        "source": ["Say where the practice exam came from (e.g. Medical Hero)."],
        "score": ["Score: enter a whole percentage from 0 to 100."],
        "domain_scores": ["Order Entry and Processing: enter a whole percentage from 0 to 100."],
    }


# --- CSPT attestations ------------------------------------------------------------------------


def test_attestation_only_for_types_that_ask_for_one(tech_a, manager_user):
    CertificationFactory(technician=tech_a, issued_on=D(2024, 9, 1))
    cspt = CertificationFactory(technician=tech_a, type=cert_type("CSPT"), issued_on=D(2025, 6, 1))
    attestation = services.attestation_record(
        certification=cspt,
        attested_on=D(2025, 11, 20),
        supervisor_name="Dana Reyes, PharmD",
        supervisor_qualification="Pharmacist, USP <797> designated person",
        recorded_by=manager_user,
        today=TODAY,
    )
    assert attestation.certification == cspt
    bls = CertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=D(2025, 1, 1))
    with pytest.raises(ValidationError) as info:
        services.attestation_record(certification=bls, attested_on=D(2024, 1, 1), supervisor_name="", today=TODAY)
    assert info.value.message_dict == {
        "certification": ["Basic Life Support (BLS) does not renew with an attestation."],
        "attested_on": ["The attestation cannot predate the certification."],
        "supervisor_name": ["Give the name of the supervisor who signed."],
        "supervisor_qualification": [
            "Say what qualifies the supervisor to attest (e.g. pharmacist, USP <797> designated person, licence number)."
        ],
    }


# --- Incentives ---------------------------------------------------------------------------------


def test_cpht_within_the_window_makes_a_technician_eligible_once(site_a, manager_user):
    # Hired 2025-01-15: deadline 2025-10-15. CPhT issued 2025-09-02, verified by the manager.
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 1, 15))
    late = TechnicianFactory(site=site_a, hire_date=D(2024, 6, 1))  # deadline 2025-03-01
    before_programme = TechnicianFactory(site=site_a, hire_date=D(2023, 1, 9))  # within its window, in 2023
    CertificationFactory(technician=before_programme, issued_on=D(2023, 6, 1))
    cert = UnverifiedCertificationFactory(technician=tech, issued_on=D(2025, 9, 2))
    CertificationFactory(technician=late, issued_on=D(2025, 4, 1))
    assert Incentive.objects.count() == 0  # nothing until verified

    services.certification_verify(certification=cert, verified_by=manager_user, today=TODAY)
    incentive = Incentive.objects.get()
    assert (incentive.technician, incentive.program.code, incentive.eligible_on, incentive.amount) == (
        tech,
        "CPHT_RAISE",
        D(2025, 9, 2),
        Decimal("1.00"),
    )
    assert incentive.trigger_detail == "CPhT issued September 2, 2025, deadline October 15, 2025"
    # Again: nothing new; "late" missed the deadline and "before_programme" predates the programme (2024-01-01).
    assert incentives_services.incentives_evaluate(today=TODAY) == 0


def test_ce_completion_is_dated_by_the_credit_that_completed_it(tech_a):
    CertificationFactory(technician=tech_a, issued_on=D(2024, 9, 1))  # cycle to 2026-09-01
    CECreditFactory(technician=tech_a, uan="0145-0000-24-001-H03-T", hours=Decimal(1), completed_on=D(2024, 10, 1))
    CECreditFactory(technician=tech_a, uan="0145-0000-24-002-H05-T", hours=Decimal(1), completed_on=D(2024, 11, 1))
    CECreditFactory(technician=tech_a, uan="0145-0000-25-003-H01-T", hours=Decimal(10), completed_on=D(2025, 3, 1))
    CECreditFactory(technician=tech_a, uan="0145-0000-25-004-H01-T", hours=Decimal(8), completed_on=D(2025, 7, 1))
    CECreditFactory(technician=tech_a, uan="0145-0000-25-005-H04-T", hours=Decimal(2), completed_on=D(2025, 9, 1))
    IncentiveProgram.objects.filter(code="CPHT_RAISE").update(active=False)

    assert incentives_services.incentives_evaluate(technician_ids=[tech_a.pk], today=TODAY) == 1
    incentive = Incentive.objects.get()
    assert (incentive.program.code, incentive.eligible_on) == ("CE_CONFERENCE", D(2025, 7, 1))  # 20 h reached then
    assert incentive.trigger_key == f"ce:{tech_a.certifications.get().pk}:2026-09-01"


def test_promotion_after_the_programme_start(tech_a):
    IncentiveProgram.objects.filter(code="CPHT_RAISE").update(active=False)
    IncentiveProgram.objects.filter(code="PROMOTION_BONUS").update(effective_from=D(2025, 1, 1))
    hire = tech_a.tier_assignments.get()  # hired 2024-01-15
    hire.end_date = D(2024, 6, 1)
    hire.save()
    old = TierAssignment.objects.create(
        technician=tech_a,
        tier=Tier.objects.get(code="TECH2"),
        start_date=D(2023, 12, 1),
        end_date=D(2025, 6, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    new = TierAssignment.objects.create(
        technician=tech_a,
        tier=Tier.objects.get(code="TECH3"),
        start_date=D(2025, 6, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    assert incentives_services.incentives_evaluate(technician_ids=[tech_a.pk], today=TODAY) == 1
    incentive = Incentive.objects.get()
    assert (incentive.program.code, incentive.trigger_key, incentive.eligible_on) == (
        "PROMOTION_BONUS",
        f"promotion:{new.pk}",
        D(2025, 6, 1),
    )
    assert old.start_date < incentive.program.effective_from


def test_award(tech_a, manager_user):
    incentive = IncentiveFactory(technician=tech_a, eligible_on=D(2025, 9, 2))
    with pytest.raises(ValidationError) as info:
        incentives_services.incentive_award(
            incentive=incentive, awarded_by=manager_user, awarded_on=D(2025, 9, 1), today=TODAY
        )
    assert info.value.message_dict == {
        "awarded_on": ["An incentive cannot be awarded before the technician became eligible."]
    }
    incentives_services.incentive_award(
        incentive=incentive,
        awarded_by=manager_user,
        awarded_on=D(2025, 10, 1),
        amount=Decimal("1.25"),
        note="Raise effective next pay period",
        today=TODAY,
    )
    incentive.refresh_from_db()
    assert (incentive.status, incentive.awarded_on, incentive.amount, incentive.awarded_by) == (
        "awarded",
        D(2025, 10, 1),
        Decimal("1.25"),
        manager_user,
    )
    with pytest.raises(ApplicationError):
        incentives_services.incentive_award(incentive=incentive, awarded_by=manager_user, today=TODAY)


def test_policy_update_keeps_history(hr_user):
    policy = services.policy_update(data={"ptcb_window_months": 12}, updated_by=hr_user)
    assert policy.ptcb_window_months == 12
    latest = policy.history.order_by("-history_id").first()
    assert (latest.history_user, latest.ptcb_window_months) == (hr_user, 12)
    with pytest.raises(ValidationError) as info:
        services.policy_update(data={"ptcb_window_months": 0}, updated_by=hr_user)
    assert info.value.message_dict == {"ptcb_window_months": ["The PTCB window is 1 to 36 months."]}


def test_certification_type_rules():
    with pytest.raises(ValidationError) as info:
        services.certification_type_create(
            code="ca_reg",
            name="California registration",
            category="state",
            ce_hours_required=Decimal(5),
            min_law_hours=Decimal(0),
            min_patient_safety_hours=Decimal(0),
            min_technician_hours=Decimal(0),
        )
    assert info.value.message_dict == {
        "validity_months": ["A CE requirement needs a cycle: give the validity in months."]
    }
    created = services.certification_type_create(
        code="ca_reg", name="California registration", category="state", state="CA"
    )
    assert created.code == "CA_REG"
    with pytest.raises(ApplicationError):
        services.certification_type_create(code="CA_REG", name="Again")
    with pytest.raises(ApplicationError):
        services.certification_type_update(certification_type=created, data={"code": "CA_REG2"})


def test_nightly_task_is_scheduled_and_idempotent(site_a):
    from django_celery_beat.models import PeriodicTask

    from incentives.tasks import incentive_triggers_nightly

    assert PeriodicTask.objects.get(task="incentives.tasks.incentive_triggers_nightly").enabled
    tech = TechnicianFactory(site=site_a, hire_date=timezone.localdate() - dt.timedelta(days=200))
    CertificationFactory(technician=tech, issued_on=timezone.localdate() - dt.timedelta(days=10))
    assert incentive_triggers_nightly.apply().get() == 1
    assert incentive_triggers_nightly.apply().get() == 0
