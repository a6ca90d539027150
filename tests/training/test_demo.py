"""Training's demo data: assignments that follow the service's rules, rotations that never
overlap and respect duties, and a technician login with something due this week."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import Count, F, Q

from technicians import demo as technician_demo
from technicians.models import User
from training.demo import demo_training_create
from training.models import Rotation, TrainingAssignment
from training.selectors import authorised_duties, with_assignment_status

TODAY = dt.date(2026, 3, 18)  # a Wednesday
MONDAY = dt.date(2026, 3, 16)


@pytest.fixture
def workforce(db):
    technician_demo.demo_data_create(technicians=80, sites=3, years=2, seed=11, today=TODAY)
    # seed_demo already ran the training demo; start this one from a bare workforce.
    TrainingAssignment.objects.all().delete()
    Rotation.objects.all().delete()


def test_demo_assignments_follow_the_rules(workforce):
    counts = demo_training_create(rng=random.Random(5), today=TODAY)

    assert counts["training_assignments"] == TrainingAssignment.objects.count() > 150
    assert not TrainingAssignment.objects.filter(due_on__lt=F("assigned_on")).exists()
    assert not TrainingAssignment.objects.filter(completed_on__lt=F("assigned_on")).exists()
    assert not TrainingAssignment.objects.filter(completed_on__gt=TODAY).exists()
    assert not TrainingAssignment.objects.filter(started_on__gt=F("completed_on")).exists()
    # Nobody finishes training after leaving.
    assert not TrainingAssignment.objects.filter(completed_on__gte=F("technician__termination_date")).exists()
    # One open assignment of a programme per technician at a time (the service's rule).
    open_twice = (
        TrainingAssignment.objects.filter(completed_on__isnull=True)
        .values("technician", "program")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not open_twice.exists()
    statuses = dict(
        with_assignment_status(TrainingAssignment.objects.all(), today=TODAY)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    due = TrainingAssignment.objects.filter(due_on__lt=TODAY).count()
    on_time = TrainingAssignment.objects.filter(due_on__lt=TODAY, completed_on__lte=F("due_on")).count()
    assert 0.6 < on_time / due < 0.8  # 88 % done, four in five of those on time
    # What is overdue today fell due in the last four months, or its technician has left.
    stale = TrainingAssignment.objects.filter(
        completed_on__isnull=True, due_on__lt=TODAY - dt.timedelta(days=120), technician__termination_date__isnull=True
    )
    assert not stale.exists()
    assert statuses["overdue"] > 0 and statuses["completed"] > statuses["overdue"]


def test_demo_rotations_never_overlap_and_respect_duties(workforce):
    demo_training_create(rng=random.Random(5), today=TODAY)

    rotations = list(Rotation.objects.select_related("technician"))
    assert len(rotations) > 40
    assert {r.start for r in rotations} <= {MONDAY + dt.timedelta(weeks=w) for w in range(4)}
    assert all(r.end == r.start + dt.timedelta(days=4) for r in rotations)
    per_week = Rotation.objects.values("technician", "start").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_week.exists()
    assert not any(r.technician.status == "terminated" for r in rotations)
    # Sterile compounding and tech-check-tech only for those authorised, unless shadowing.
    duty_rotations = [
        r for r in rotations if r.station in ("sterile_compounding", "product_verification") and not r.learning_week
    ]
    authorised = authorised_duties(technicians={r.technician for r in duty_rotations}, on=MONDAY)
    station_duty = {"sterile_compounding": "STERILE_COMPOUNDING", "product_verification": "PRODUCT_VERIFICATION"}
    assert all(station_duty[r.station] in authorised[r.technician_id] for r in duty_rotations)
    assert Rotation.objects.filter(learning_week=True).exists()


def test_the_technician_login_has_one_due_this_week_one_in_progress_one_done(workforce):
    demo_training_create(rng=random.Random(5), today=TODAY)
    login = User.objects.get(username="technician").technician

    rows = with_assignment_status(TrainingAssignment.objects.filter(technician=login), today=TODAY).order_by("due_on")
    by_status = {row.status: row for row in rows}

    assert set(by_status) == {"assigned", "in_progress", "completed"}
    assert by_status["assigned"].program.code == "MED_RECONCILIATION"
    assert by_status["assigned"].due_on == TODAY + dt.timedelta(days=5)
    assert by_status["in_progress"].program.code == "IMMUNIZATION_SUPPORT"
    assert by_status["completed"].completed_on == TODAY - dt.timedelta(days=90)


def test_demo_training_is_deterministic(workforce):
    def rows():
        assignments = list(
            TrainingAssignment.objects.order_by("technician_id", "assigned_on", "program_id").values_list(
                "technician_id", "program__code", "assigned_on", "due_on", "started_on", "completed_on"
            )
        )
        rotations = list(
            Rotation.objects.order_by("technician_id", "start").values_list("technician_id", "station", "start")
        )
        return assignments, rotations

    demo_training_create(rng=random.Random(5), today=TODAY)
    first = rows()
    TrainingAssignment.objects.all().delete()
    Rotation.objects.all().delete()
    demo_training_create(rng=random.Random(5), today=TODAY)

    assert rows() == first
    assert not TrainingAssignment.objects.filter(Q(completed_on__isnull=False) & Q(started_on__isnull=True)).exists()
