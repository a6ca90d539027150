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
