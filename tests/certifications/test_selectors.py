"""Reads: a technician's deadlines in plain words, CPhT-Adv distance, the PTCB roster."""

from __future__ import annotations

import datetime as dt

import pytest

from certifications import selectors
from tests.certifications.factories import CertificationFactory, PracticeTestFactory, PtcbExtensionFactory, cert_type
from tests.factories import TechnicianFactory

D = dt.date
TODAY = D(2026, 1, 20)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(site_a):
    tech = TechnicianFactory(site=site_a, hire_date=D(2023, 1, 9), first_name="Lena", last_name="Lead")
    CertificationFactory(technician=tech, issued_on=D(2024, 3, 15), expires_on=D(2026, 3, 15))  # CPhT
    CertificationFactory(technician=tech, type=cert_type("BLS"), issued_on=D(2022, 2, 9), expires_on=D(2024, 2, 9))
    CertificationFactory(technician=tech, type=cert_type("BLS"), issued_on=D(2024, 2, 9), expires_on=D(2026, 2, 9))
    CertificationFactory(
        technician=tech, type=cert_type("STATE_REG"), issued_on=D(2023, 1, 9), expires_on=D(2025, 7, 4)
    )
    CertificationFactory(technician=tech, type=cert_type("CSPT"), issued_on=D(2024, 10, 12), expires_on=D(2025, 10, 12))
    for code in ("TPV", "MED_HISTORY", "HD_MGMT"):
        CertificationFactory(technician=tech, type=cert_type(code), issued_on=D(2025, 1, 5), expires_on=None)
    return tech


def test_deadlines_soonest_first_in_plain_words(lead):
    standing = selectors.technician_standing(technician=lead, today=TODAY)
    assert standing["ptcb"]["status"] == "met"
    assert [(d["date"], d["text"], d["severity"]) for d in standing["deadlines"]] == [
        (D(2025, 10, 12), "CSPT expired 100 days ago", "danger"),
        (D(2026, 2, 9), "BLS expires in 20 days", "warning"),
        (D(2026, 2, 13), "CPhT renewal due in 24 days", "warning"),
    ]
    # The registration expired 200 days ago (past the 180 shown) and the 2024 BLS was replaced.
    renewal = standing["deadlines"][2]["detail"]
    assert renewal == (
        "20 h more CE, incl. 1 h of law, 1 h of patient safety and 15 h technician-specific, by February 13, 2026."
    )


def test_cpht_adv_distance(lead):
    adv = selectors.technician_standing(technician=lead, today=TODAY)["cpht_adv"]
    # 3 years and 11 days since hire; three certificates; the CSPT has lapsed.
    assert (adv["experience_months"], adv["certificates_held"], adv["certificates_needed"], adv["has_cspt"]) == (
        36.4,
        3,
        4,
        False,
    )
    assert adv["eligible"] is False
    assert adv["message"] == "To earn the Advanced CPhT: 1 more assessment-based certificate (or CSPT)."


def test_cpht_adv_for_a_new_technician(site_a):
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 7, 20))
    adv = selectors.cpht_adv_distance(technician=tech, today=TODAY)
    assert adv["message"] == (
        "To earn the Advanced CPhT: an active CPhT, 30 more months of technician work and "
        "4 more assessment-based certificates (or 3 more plus CSPT)."
    )


def test_ptcb_roster_orders_by_deadline_and_shows_readiness(site_a, site_b, manager_user):
    scores = {"medications": 80, "federal_requirements": 70, "patient_safety": 80, "order_entry": 80}
    overdue = TechnicianFactory(site=site_a, hire_date=D(2025, 1, 6), last_name="Overdue")  # 2025-10-06
    soon = TechnicianFactory(site=site_a, hire_date=D(2025, 5, 1), last_name="Soon")  # 2026-02-01
    extended = TechnicianFactory(site=site_a, hire_date=D(2025, 2, 3), last_name="Extended")  # 2025-11-03
    PtcbExtensionFactory(technician=extended, extended_to=D(2026, 6, 1))
    certified = TechnicianFactory(site=site_a, hire_date=D(2025, 3, 1), last_name="Certified")
    CertificationFactory(technician=certified, issued_on=D(2025, 9, 1))
    TechnicianFactory(site=site_b, hire_date=D(2025, 1, 6), last_name="Elsewhere")
    PracticeTestFactory(technician=soon, taken_on=D(2026, 1, 2), score=76, domain_scores=scores)
    PracticeTestFactory(technician=soon, taken_on=D(2026, 1, 9), score=75, domain_scores=scores)
    PracticeTestFactory(technician=overdue, taken_on=D(2025, 9, 1), score=90, domain_scores=scores)

    rows = [
        (t.last_name, t.ptcb_deadline, t.ptcb_status, t.practice_latest, t.practice_previous, t.practice_ready)
        for t in selectors.ptcb_roster(viewer=manager_user, today=TODAY)
    ]
    assert rows == [
        ("Overdue", D(2025, 10, 6), "overdue", 90, None, False),
        ("Soon", D(2026, 2, 1), "due_soon", 75, 76, True),
        ("Extended", D(2026, 6, 1), "on_track", None, None, False),
    ]
    assert selectors.ptcb_counts(viewer=manager_user, today=TODAY) == {
        "met": 1,
        "on_track": 1,
        "due_soon": 1,
        "overdue": 1,
    }
