"""The training matrix (a status in every cell, worked out by hand for each state), its
summary row and skill coverage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from certifications.models import Certification, CertificationType
from competencies.models import Competency, CompetencyRound
from tests.factories import TechnicianFactory
from tests.training.factories import TrainingAssignmentFactory
from training import selectors

D = dt.date
TODAY = D(2025, 6, 1)
LONG_AGO = D(2024, 1, 1)
CPHT_ISSUED = D(2024, 9, 1)
pytestmark = pytest.mark.django_db


def _round(technician, code, *, achieved_on=None, expires_on=None, started_on=LONG_AGO, number=1):
    return CompetencyRound.objects.create(
        technician=technician,
        competency=Competency.objects.get(code=code),
        number=number,
        started_on=started_on,
        achieved_on=achieved_on,
        expires_on=expires_on,
    )


def _cert(technician, *, expires_on, verified=True, issued_on=CPHT_ISSUED):
    return Certification.objects.create(
        technician=technician,
        type=CertificationType.objects.get(code="CPHT"),
        issued_on=issued_on,
        expires_on=expires_on,
        verified_at=timezone.now() if verified else None,
        self_reported=not verified,
    )


def _cell(rows, columns, technician, kind, code):
    index = next(n for n, c in enumerate(columns) if (c.kind, c.code) == (kind, code))
    row = next(r for r in rows if r.technician.pk == technician.pk)
    return row.cells[index]


@pytest.fixture
def five(site_a):
    return [TechnicianFactory(site=site_a, last_name=f"T{n}") for n in range(5)]


def test_competency_cells(five, hr_user):
    """On 2025-06-01: re-validation due 2026-01-10 is achieved; due 2025-06-20 (19 days, within
    30) is expiring; due 2025-05-01 is expired; an open round is in progress; nothing is not
    started."""
    achieved, expiring, expired, under_way, untouched = five
    _round(achieved, "DISPENSING", achieved_on=D(2025, 1, 10), expires_on=D(2026, 1, 10))
    _round(expiring, "DISPENSING", achieved_on=D(2024, 6, 20), expires_on=D(2025, 6, 20))
    _round(expired, "DISPENSING", achieved_on=D(2024, 5, 1), expires_on=D(2025, 5, 1))
    _round(under_way, "DISPENSING", started_on=D(2025, 5, 1))
    columns = selectors.matrix_columns(kind="competency")

    rows = selectors.matrix_rows(viewer=hr_user, technicians=five, columns=columns, today=TODAY)

    statuses = [_cell(rows, columns, t, "competency", "DISPENSING").status for t in five]
    assert statuses == ["achieved", "expiring", "expired", "in_progress", "not_started"]
    assert _cell(rows, columns, expiring, "competency", "DISPENSING").detail == "expires 2025-06-20"
    # Summary row: achieved and expiring hold the skill.
    held = selectors.matrix_held_counts(rows, columns)
    assert held[[c.code for c in columns].index("DISPENSING")] == 2


def test_certification_cells(five, hr_user):
    """CPhT on 2025-06-01 (expiring window 60 days): expiring 2026-09-01 is achieved, 2025-07-15
    (44 days) expiring, 2025-06-01 expired (expired on its expiry day); an unverified upload is
    in progress; none is not started."""
    achieved, expiring, expired, pending, untouched = five
    _cert(achieved, expires_on=D(2026, 9, 1))
    _cert(expiring, expires_on=D(2025, 7, 15))
    _cert(expired, expires_on=D(2025, 6, 1))
    _cert(pending, expires_on=D(2027, 5, 1), verified=False, issued_on=D(2025, 5, 1))
    # A pending renewal upload never hides a verified, current certificate.
    _cert(achieved, expires_on=D(2027, 9, 1), verified=False, issued_on=D(2025, 5, 20))
    columns = selectors.matrix_columns(kind="certification")

    rows = selectors.matrix_rows(viewer=hr_user, technicians=five, columns=columns, today=TODAY)

    statuses = [_cell(rows, columns, t, "certification", "CPHT").status for t in five]
    assert statuses == ["achieved", "expiring", "expired", "in_progress", "not_started"]


def test_programme_cells(five, hr_user):
    """Health screenings, assigned 2025-05-01: completed is achieved; due 2025-05-31 and open on
    2025-06-01 is overdue; due 2025-06-01 (today) is in progress; never assigned is not started;
    the latest assignment wins over an earlier completion."""
    done, late, due_today, repeated, untouched = five
    TrainingAssignmentFactory(technician=done, completed_on=D(2025, 5, 20))
    TrainingAssignmentFactory(technician=late, due_on=D(2025, 5, 31))
    TrainingAssignmentFactory(technician=due_today, due_on=D(2025, 6, 1))
    TrainingAssignmentFactory(
        technician=repeated, assigned_on=D(2024, 5, 1), due_on=D(2024, 6, 1), completed_on=D(2024, 5, 9)
    )
    TrainingAssignmentFactory(technician=repeated, assigned_on=D(2025, 5, 1), due_on=D(2025, 7, 1))
    columns = selectors.matrix_columns(kind="program")

    rows = selectors.matrix_rows(viewer=hr_user, technicians=five, columns=columns, today=TODAY)

    statuses = [_cell(rows, columns, t, "program", "HEALTH_SCREENINGS").status for t in five]
    assert statuses == ["achieved", "overdue", "in_progress", "in_progress", "not_started"]
    assert _cell(rows, columns, late, "program", "HEALTH_SCREENINGS").detail == "was due 2025-05-31"
    assert selectors.matrix_held_counts(rows, columns)[[c.code for c in columns].index("HEALTH_SCREENINGS")] == 1


def test_columns_filter_by_kind_and_category():
    clinical = selectors.matrix_columns(category="clinical")

    assert {c.kind for c in clinical} == {"competency", "program"}
    assert [c.code for c in clinical if c.kind == "program"] == [
        "HEALTH_SCREENINGS",
        "IMMUNIZATION_SUPPORT",
        "MED_RECONCILIATION",
    ]


def test_skill_coverage_flags_single_points_of_failure(site_a, site_b, hr_user, manager_user):
    """At site A on 2025-06-01: dispensing is held by two active technicians (covered); sterile
    compounding by one (flagged: 1); immunization by one active technician and one who is on
    leave (flagged: 1, only active technicians count); inventory only by someone whose
    validation expired (nobody holds it: not a single point of failure). At site B dispensing
    is held by one (flagged)."""
    a1, a2 = TechnicianFactory(site=site_a), TechnicianFactory(site=site_a)
    away = TechnicianFactory(site=site_a, status="leave")
    b1 = TechnicianFactory(site=site_b)
    for tech in (a1, a2, b1):
        _round(tech, "DISPENSING", achieved_on=D(2025, 1, 10), expires_on=D(2026, 1, 10))
    _round(a1, "STERILE_797", achieved_on=D(2025, 3, 1), expires_on=D(2025, 9, 1))
    _round(a2, "IMMUNIZATION", achieved_on=D(2025, 2, 1), expires_on=D(2026, 2, 1))
    _round(away, "IMMUNIZATION", achieved_on=D(2025, 2, 1), expires_on=D(2026, 2, 1))
    _round(a2, "INVENTORY", achieved_on=D(2024, 1, 5), expires_on=D(2025, 1, 5))
    # A later achieved round governs: a2's older, still-valid TCT round does not count once a
    # re-validation has expired.
    _round(a2, "TCT", achieved_on=D(2024, 1, 5), expires_on=D(2025, 12, 1), number=1)
    _round(a2, "TCT", achieved_on=D(2024, 4, 5), expires_on=D(2025, 4, 5), number=2)

    gaps = selectors.skill_coverage_gaps(viewer=hr_user, today=TODAY)

    assert [(g["site_code"], g["competency"], g["holders"]) for g in gaps] == [
        ("A01", "Immunization support", 1),
        ("A01", "Sterile compounding: garbing and aseptic technique (USP <797>)", 1),
        ("B01", "Dispensing and filling accuracy", 1),
    ]
    # The manager of site A sees their own site's gaps only.
    assert [g["site_code"] for g in selectors.skill_coverage_gaps(viewer=manager_user, today=TODAY)] == ["A01", "A01"]
    # A threshold of 3 also flags dispensing at A (2 holders).
    wider = selectors.skill_coverage_gaps(viewer=hr_user, today=TODAY, site=site_a.pk, threshold=3)
    assert [(g["competency"], g["holders"]) for g in wider] == [
        ("Dispensing and filling accuracy", 2),
        ("Immunization support", 1),
        ("Sterile compounding: garbing and aseptic technique (USP <797>)", 1),
    ]
    assert selectors.coverage_gap_lines(viewer=manager_user, today=TODAY) == [
        "A01: Immunization support is held by only 1 active technician",
        "A01: Sterile compounding: garbing and aseptic technique (USP <797>) is held by only 1 active technician",
    ]


def test_matrix_technicians_are_scoped(tech_a, tech_b, manager_user, hr_user):
    assert list(selectors.matrix_technicians(viewer=manager_user)) == [tech_a]
    assert set(selectors.matrix_technicians(viewer=hr_user)) == {tech_a, tech_b}
