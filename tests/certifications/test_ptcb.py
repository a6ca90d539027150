"""PTCB deadline arithmetic and status boundaries (PRODUCT.md section 2), in Python and in SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from certifications import selectors
from certifications.models import OrgPolicy
from certifications.ptcb import ptcb_deadline, ptcb_status, ptcb_words
from technicians.models import Technician
from tests.certifications.factories import CertificationFactory, PtcbExtensionFactory, UnverifiedCertificationFactory
from tests.factories import TechnicianFactory

D = dt.date


@pytest.mark.parametrize(
    ("hired", "months", "deadline"),
    [
        (D(2025, 5, 31), 9, D(2026, 2, 28)),  # PRODUCT.md's example: clamped to February's end
        (D(2023, 5, 31), 9, D(2024, 2, 29)),  # ... to the 29th in a leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a leap day plus a year
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2025, 4, 30), 9, D(2026, 1, 30)),  # January has 31 days: no clamping
        (D(2025, 3, 31), 9, D(2025, 12, 31)),
        (D(2024, 6, 30), 8, D(2025, 2, 28)),
        (D(2025, 12, 15), 9, D(2026, 9, 15)),  # across the year end
        (D(2025, 1, 1), 9, D(2025, 10, 1)),
    ],
)
def test_deadline_is_hire_date_plus_calendar_months_clamped_to_month_end(hired, months, deadline):
    assert ptcb_deadline(hire_date=hired, window_months=months) == deadline


def test_an_extension_replaces_the_deadline():
    assert ptcb_deadline(hire_date=D(2025, 5, 31), window_months=9, extended_to=D(2026, 5, 1)) == D(2026, 5, 1)


DEADLINE = D(2026, 3, 1)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (D(2025, 12, 30), "on_track"),  # 61 days before
        (D(2025, 12, 31), "due_soon"),  # exactly 60 days before
        (D(2026, 2, 28), "due_soon"),
        (D(2026, 3, 1), "due_soon"),  # the deadline day itself is not overdue yet
        (D(2026, 3, 2), "overdue"),  # the day after
    ],
)
def test_status_boundaries(today, status):
    assert ptcb_status(deadline=DEADLINE, holds_cpht=False, today=today) == status


def test_holding_cpht_is_met_even_past_the_deadline():
    assert ptcb_status(deadline=DEADLINE, holds_cpht=True, today=D(2027, 1, 1)) == "met"


@pytest.mark.parametrize(
    ("today", "words"),
    [
        (D(2026, 1, 19), "PTCB due in 41 days"),
        (D(2026, 2, 28), "PTCB due tomorrow"),
        (D(2026, 3, 1), "PTCB due today"),
        (D(2026, 3, 2), "PTCB overdue by 1 day"),
        (D(2026, 3, 11), "PTCB overdue by 10 days"),
    ],
)
def test_plain_words(today, words):
    status = ptcb_status(deadline=DEADLINE, holds_cpht=False, today=today)
    assert ptcb_words(deadline=DEADLINE, status=status, today=today) == words


@pytest.mark.django_db
def test_ptcb_for_uses_the_policy_window_and_the_latest_extension(site_a):
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 5, 31))
    today = D(2026, 3, 15)

    before = selectors.ptcb_for(technician=tech, today=today)
    assert (before["deadline"], before["status"], before["summary"]) == (
        D(2026, 2, 28),
        "overdue",
        "PTCB overdue by 15 days",
    )

    PtcbExtensionFactory(technician=tech, extended_to=D(2026, 4, 30))
    PtcbExtensionFactory(technician=tech, extended_to=D(2026, 5, 31), reason="Second sitting booked")
    after = selectors.ptcb_for(technician=tech, today=today)
    # March 15 -> May 31 is 16 + 30 + 31 = 77 days: beyond the 60-day horizon.
    assert after["deadline"] == D(2026, 5, 31)
    assert after["policy_deadline"] == D(2026, 2, 28)
    assert after["status"] == "on_track"
    assert after["extended"] is True
    assert after["extension_reason"] == "Second sitting booked"
    assert after["days_left"] == 77


@pytest.mark.django_db
def test_policy_window_change_moves_every_deadline(site_a):
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 5, 31))
    OrgPolicy.objects.filter(pk=1).update(ptcb_window_months=12)
    assert selectors.ptcb_for(technician=tech, today=D(2026, 1, 1))["deadline"] == D(2026, 5, 31)


@pytest.mark.django_db
def test_only_a_verified_unexpired_cpht_issued_by_today_is_met(site_a):
    tech = TechnicianFactory(site=site_a, hire_date=D(2025, 1, 10))
    today = D(2025, 12, 1)
    UnverifiedCertificationFactory(technician=tech, issued_on=D(2025, 6, 1))
    assert selectors.ptcb_for(technician=tech, today=today)["status"] == "overdue"
    CertificationFactory(technician=tech, issued_on=D(2023, 1, 1), expires_on=D(2025, 1, 1))  # expired
    assert selectors.ptcb_for(technician=tech, today=today)["status"] == "overdue"
    CertificationFactory(technician=tech, issued_on=D(2025, 11, 30))
    assert selectors.ptcb_for(technician=tech, today=today)["status"] == "met"


@pytest.mark.django_db
def test_sql_annotation_agrees_with_the_python_rule_at_the_boundaries(site_a):
    """``with_ptcb`` computes deadline and status in the database; same edges as above."""
    today = D(2026, 3, 1)
    cases = {
        "leap": (D(2023, 5, 31), None, False),  # 2024-02-29: overdue
        "clamped": (D(2025, 5, 31), None, False),  # 2026-02-28: overdue by 1 day
        "deadline-today": (D(2025, 6, 1), None, False),  # 2026-03-01: due soon
        "sixty-days": (D(2025, 7, 30), None, False),  # 2026-04-30: exactly 60 days
        "july-31st": (D(2025, 7, 31), None, False),  # July 31 + 9 months = April 30 as well
        "on-track": (D(2025, 8, 1), None, False),  # 2026-05-01: 61 days
        "extended": (D(2025, 1, 15), D(2026, 4, 1), False),  # extension to April 1: due soon
        "certified": (D(2024, 1, 15), None, True),
    }
    techs = {}
    for name, (hired, extended_to, certified) in cases.items():
        tech = TechnicianFactory(site=site_a, hire_date=hired, last_name=name)
        if extended_to:
            PtcbExtensionFactory(technician=tech, extended_to=extended_to)
        if certified:
            CertificationFactory(technician=tech, issued_on=D(2024, 9, 1))
        techs[name] = tech
    rows = {
        t.last_name: (t.ptcb_deadline, t.ptcb_status)
        for t in selectors.with_ptcb(Technician.objects.all(), today=today, window_months=9)
    }
    assert rows == {
        "leap": (D(2024, 2, 29), "overdue"),
        "clamped": (D(2026, 2, 28), "overdue"),
        "deadline-today": (D(2026, 3, 1), "due_soon"),
        "sixty-days": (D(2026, 4, 30), "due_soon"),
        "july-31st": (D(2026, 4, 30), "due_soon"),
        "on-track": (D(2026, 5, 1), "on_track"),
        "extended": (D(2026, 4, 1), "due_soon"),
        "certified": (D(2024, 10, 15), "met"),
    }
    for name, tech in techs.items():
        python = selectors.ptcb_for(technician=tech, today=today)
        assert (python["deadline"], python["status"]) == rows[name], name
