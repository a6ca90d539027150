"""The demo data: deterministic, realistic, and interesting for the two technician logins."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from certifications import selectors
from certifications.demo import demo_certifications_create
from certifications.models import Attestation, CECredit, Certification, PracticeTest, PtcbExtension
from incentives.models import Incentive
from technicians import demo as technician_demo
from technicians.models import User

TODAY = dt.date(2026, 3, 2)


def _clear_certification_demo():
    """seed_demo already ran every feature's demo; start this one from a bare workforce."""
    for model in (Incentive, Attestation, PtcbExtension, CECredit, PracticeTest, Certification):
        model.objects.all().delete()


def _seed():
    technician_demo.demo_data_create(technicians=80, sites=3, years=3, seed=11, today=TODAY)
    _clear_certification_demo()
    return demo_certifications_create(rng=random.Random("certifications:11"), today=TODAY)


def _fingerprint():
    return (
        sorted(Certification.objects.values_list("technician__employee_id", "type__code", "issued_on", "expires_on")),
        sorted(CECredit.objects.values_list("technician__employee_id", "uan", "hours")),
        sorted(PracticeTest.objects.values_list("technician__employee_id", "taken_on", "score")),
        sorted(Incentive.objects.values_list("technician__employee_id", "program__code", "status", "eligible_on")),
    )


@pytest.mark.django_db
def test_demo_is_realistic_and_features_the_logins():
    counts = _seed()
    assert counts["certifications"] > 80 and counts["ce_credits"] > 50 and counts["practice_tests"] > 20
    assert counts["incentives"] > 0 and counts["incentives_awarded"] > 0

    hr = User.objects.get(username="hr")
    ptcb = selectors.ptcb_counts(viewer=hr, today=TODAY)
    assert ptcb["met"] > ptcb["overdue"] > 0
    assert ptcb["due_soon"] >= 1
    assert selectors.verification_queue(viewer=User.objects.get(username="manager"), today=TODAY).exists()

    tech = User.objects.get(username="technician").technician
    standing = selectors.technician_standing(technician=tech, today=TODAY)
    assert standing["ptcb"]["status"] == "due_soon"
    assert standing["deadlines"][0]["text"].startswith("PTCB due in ")
    assert standing["practice"]["ready"] is True
    assert standing["practice"]["weakest_domain"] == "federal_requirements"
    assert [c.type.code for c in standing["certifications"] if not c.verified] == ["BLS"]

    lead = User.objects.get(username="evaluator").technician
    lead_standing = selectors.technician_standing(technician=lead, today=TODAY)
    cpht = next(r for r in lead_standing["renewals"] if r["type"] == "CPHT")
    assert cpht["message"].startswith("2.5 h more CE, incl. 1 h of law, by ")
    assert cpht["status"] == "due_soon"
    assert lead_standing["cpht_adv"]["eligible"] is True


@pytest.mark.django_db
def test_demo_is_deterministic():
    _seed()
    first = _fingerprint()
    technician_demo.demo_data_delete()
    assert Certification.objects.count() == 0
    _seed()
    assert _fingerprint() == first


@pytest.mark.django_db
def test_demo_shows_each_credential_rule_on_a_technician(settings, tmp_path):
    """One technician each: the CPhT-Adv upgrade renewing once, a reinstatement under way, a
    lapse beyond it, a college course counted for 10 of its 12 h with non-ACPE CE waiting, a
    CSPT renewal short of sterile-compounding CE, and a CPhT waiting for verification."""
    settings.MEDIA_ROOT = str(tmp_path)
    _seed()

    def standing_of(number: str):
        cert = Certification.objects.filter(number=number).select_related("technician").first()
        assert cert is not None, number
        return selectors.technician_standing(technician=cert.technician, today=TODAY)

    upgraded = standing_of("402118")
    assert [r["type"] for r in upgraded["renewals"]] == ["CPHT_ADV"]
    assert upgraded["ptcb"]["status"] == "met"
    assert upgraded["renewals"][0]["message"].startswith("8 h more CE, incl. 3 h technician-specific")
    assert upgraded["renewals"][0]["pharmacist_hours"] > upgraded["renewals"][0]["pharmacist_hours_counted"]

    reinstating = standing_of("377540")
    assert reinstating["reinstatements"][0]["status"] == "reinstate"
    assert reinstating["reinstatements"][0]["headline"].startswith("Expired \u2014 reinstate by ")

    lapsed = standing_of("361204")
    assert lapsed["reinstatements"][0]["headline"] == "Lapsed beyond reinstatement: retake the exam"

    college = standing_of("389912")
    [renewal] = college["renewals"]
    assert (renewal["college_hours"], renewal["college_hours_counted"]) == (12, 10)
    assert renewal["message"].startswith("4 h more CE (2 h waiting for verification)")

    cspt = standing_of("CSPT-80412")
    [row] = [r for r in cspt["renewals"] if r["type"] == "CSPT"]
    assert row["message"].startswith("1.5 h more CE, incl. 1.5 h of sterile compounding, by ")
    assert row["attested_qualification"] == "Pharmacist, USP <797> designated person"

    waiting = standing_of("420733")
    assert waiting["ptcb"]["summary"] == "PTCB waiting for verification"
