"""Training services: assignment (single and bulk), progress, completion with its CE credit,
rotations and their overlap rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careerladder.core.errors import ApplicationError
from certifications.models import CECredit
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tests.training.factories import RotationFactory, TrainingAssignmentFactory, program
from training import services
from training.models import Rotation, TrainingAssignment
from training.selectors import with_assignment_status

D = dt.date
pytestmark = pytest.mark.django_db


# --- status derivation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started_on", "completed_on", "today", "expected"),
    [
        (None, None, D(2025, 6, 1), "assigned"),  # the due day itself is not overdue
        (D(2025, 5, 10), None, D(2025, 6, 1), "in_progress"),
        (D(2025, 5, 10), None, D(2025, 6, 2), "overdue"),  # a day past due, started or not
        (None, None, D(2025, 6, 2), "overdue"),
        (D(2025, 5, 10), D(2025, 6, 20), D(2025, 7, 1), "completed"),  # late completion is still completed
    ],
)
def test_status_is_derived_the_same_in_python_and_sql(tech_a, started_on, completed_on, today, expected):
    """Given an assignment due 2025-06-01, when its status is derived on ``today``, then the model
    and the SQL annotation agree on the hand-worked answer."""
    assignment = TrainingAssignmentFactory(technician=tech_a, started_on=started_on, completed_on=completed_on)

    annotated = with_assignment_status(TrainingAssignment.objects.filter(pk=assignment.pk), today=today).get()

    assert assignment.status_on(today) == expected
    assert annotated.status == expected


# --- assigning ----------------------------------------------------------------------------


def test_assign_one_technician(tech_a, manager_user):
    assignment = services.assignment_create(
        technician=tech_a,
        program=program("MED_RECONCILIATION"),
        due_on=D(2025, 7, 31),
        assigned_on=D(2025, 7, 1),
        assigned_by=manager_user,
    )

    assert (assignment.technician, assignment.program.code) == (tech_a, "MED_RECONCILIATION")
    assert (assignment.assigned_on, assignment.due_on, assignment.assigned_by) == (
        D(2025, 7, 1),
        D(2025, 7, 31),
        manager_user,
    )
    assert assignment.status_on(D(2025, 7, 2)) == "assigned"


def test_due_date_before_assignment_is_refused(tech_a):
    with pytest.raises(ApplicationError) as refused:
        services.assignment_create(
            technician=tech_a, program=program("MED_RECONCILIATION"), due_on=D(2025, 6, 30), assigned_on=D(2025, 7, 1)
        )

    assert refused.value.field == "due_on"
    assert TrainingAssignment.objects.count() == 0


def test_an_open_programme_is_not_assigned_twice_but_a_completed_one_may_be_repeated(tech_a):
    first = TrainingAssignmentFactory(technician=tech_a, program=program("HEALTH_SCREENINGS"))

    with pytest.raises(ApplicationError) as refused:
        services.assignment_create(
            technician=tech_a, program=program("HEALTH_SCREENINGS"), due_on=D(2025, 9, 1), assigned_on=D(2025, 8, 1)
        )
    assert refused.value.field == "program"

    TrainingAssignment.objects.filter(pk=first.pk).update(completed_on=D(2025, 5, 20))
    again = services.assignment_create(
        technician=tech_a, program=program("HEALTH_SCREENINGS"), due_on=D(2026, 5, 1), assigned_on=D(2026, 4, 1)
    )
    assert TrainingAssignment.objects.filter(technician=tech_a).count() == 2
    assert again.completed_on is None


def test_a_technician_who_left_is_not_assigned(tech_a):
    Technician.objects.filter(pk=tech_a.pk).update(
        status="terminated", termination_date=D(2025, 4, 30), termination_type="voluntary"
    )
    tech_a.refresh_from_db()

    with pytest.raises(ApplicationError):
        services.assignment_create(technician=tech_a, program=program("HEALTH_SCREENINGS"), due_on=D(2099, 1, 1))
    assert TrainingAssignment.objects.count() == 0


def test_bulk_assignment_to_a_tier_skips_leavers_and_open_assignments(site_a, site_b, hr_user):
    """Given site A with three TECH1 technicians (one already has the programme open, one has
    left), one TECH2 technician, and a TECH1 technician at site B, when hr assigns the programme
    to every TECH1 technician, then the two at A without it and the one at B get it: 3 new, 1
    skipped."""
    a1 = TechnicianFactory(site=site_a, tier="TECH1")
    a2 = TechnicianFactory(site=site_a, tier="TECH1")
    a3 = TechnicianFactory(site=site_a, tier="TECH1")
    TechnicianFactory(
        site=site_a, tier="TECH1", status="terminated", termination_date=D(2025, 3, 1), termination_type="voluntary"
    )
    TechnicianFactory(site=site_a, tier="TECH2")
    b1 = TechnicianFactory(site=site_b, tier="TECH1")
    TrainingAssignmentFactory(technician=a3, program=program("USP797_STERILE"))
    from training.selectors import matrix_technicians

    result = services.assignment_bulk_create(
        technicians=matrix_technicians(viewer=hr_user, tier="TECH1"),
        program=program("USP797_STERILE"),
        due_on=D(2025, 9, 30),
        assigned_on=D(2025, 9, 1),
        assigned_by=hr_user,
    )

    assert result.skipped == 1
    assert sorted(a.technician_id for a in result.created) == sorted([a1.pk, a2.pk, b1.pk])
    assert TrainingAssignment.objects.filter(program__code="USP797_STERILE").count() == 4
    # The bulk insert keeps history too: a3's own record plus the three new ones.
    assert TrainingAssignment.history.filter(program__code="USP797_STERILE").count() == 4


# --- progress and completion ------------------------------------------------------------------


def test_start_then_complete(tech_a, technician_user):
    assignment = TrainingAssignmentFactory(technician=tech_a, program=program("SCHEDULING_WORKFLOW"))

    started = services.assignment_start(assignment=assignment, today=D(2025, 5, 12))
    assert (started.started_on, started.status_on(D(2025, 5, 12))) == (D(2025, 5, 12), "in_progress")

    done = services.assignment_complete(
        assignment=assignment, completed_by=technician_user, completed_on=D(2025, 5, 28), today=D(2025, 5, 30)
    )
    assert (done.completed_on, done.status_on(D(2025, 8, 1))) == (D(2025, 5, 28), "completed")
    assert done.ce_credit is None  # scheduling and workflow carries no CE
    assert CECredit.objects.count() == 0

    with pytest.raises(ApplicationError):
        services.assignment_complete(assignment=assignment, completed_by=technician_user, today=D(2025, 5, 30))


@pytest.mark.parametrize(
    ("completed_on", "field"),
    [(D(2025, 6, 2), "completed_on"), (D(2025, 4, 30), "completed_on")],  # future; before assignment
)
def test_completion_dates_are_checked(tech_a, completed_on, field):
    assignment = TrainingAssignmentFactory(technician=tech_a)

    with pytest.raises(ApplicationError) as refused:
        services.assignment_complete(assignment=assignment, completed_on=completed_on, today=D(2025, 6, 1))

    assert refused.value.field == field
    assignment.refresh_from_db()
    assert assignment.completed_on is None


def test_completing_a_ce_bearing_programme_logs_its_ce_credit(tech_a, manager_user):
    """Given the tech-check-tech programme (2 CE hours) with its UAN on file, when the
    technician's manager records completion on 2025-05-20, then one CE credit of 2.00 hours with
    that UAN is logged for the technician, dated the completion day."""
    tct = program("TECH_CHECK_TECH")
    tct.ce_uan = "0145-0000-25-011-H05-T"
    tct.save()
    assignment = TrainingAssignmentFactory(technician=tech_a, program=tct)

    done = services.assignment_complete(
        assignment=assignment, completed_by=manager_user, completed_on=D(2025, 5, 20), today=D(2025, 5, 21)
    )

    credit = CECredit.objects.get(technician=tech_a)
    assert done.ce_credit == credit
    assert (credit.uan, credit.hours, credit.completed_on) == (
        "0145-0000-25-011-H05-T",
        Decimal("2.00"),
        D(2025, 5, 20),
    )
    assert (credit.title, credit.topic, credit.audience) == ("Tech-check-tech (product verification)", "05", "T")

    # Repeating the programme later does not log the same activity twice.
    again = TrainingAssignmentFactory(technician=tech_a, program=tct, assigned_on=D(2025, 6, 1), due_on=D(2025, 7, 1))
    services.assignment_complete(
        assignment=again, completed_by=manager_user, completed_on=D(2025, 6, 10), today=D(2025, 6, 11)
    )
    assert CECredit.objects.filter(technician=tech_a).count() == 1


def test_a_uan_given_at_completion_is_used_when_the_programme_has_none(tech_a, technician_user):
    assignment = TrainingAssignmentFactory(technician=tech_a, program=program("HEALTH_SCREENINGS"))  # 4 CE h

    services.assignment_complete(
        assignment=assignment,
        completed_by=technician_user,
        completed_on=D(2025, 5, 20),
        uan=" 0145-0000-25-012-h01-t ",
        today=D(2025, 5, 21),
    )

    credit = CECredit.objects.get(technician=tech_a)
    assert (credit.uan, credit.hours) == ("0145-0000-25-012-H01-T", Decimal("4.00"))


def test_a_bad_uan_refuses_the_completion(tech_a, technician_user):
    assignment = TrainingAssignmentFactory(technician=tech_a, program=program("HEALTH_SCREENINGS"))

    with pytest.raises(ApplicationError) as refused:
        services.assignment_complete(
            assignment=assignment, completed_by=technician_user, uan="not-a-uan", today=D(2025, 5, 21)
        )

    assert refused.value.field == "uan"
    assignment.refresh_from_db()
    assert assignment.completed_on is None
    assert CECredit.objects.count() == 0


# --- rotations -------------------------------------------------------------------------------


def test_overlapping_rotations_of_one_technician_are_refused(tech_a, tech_b):
    RotationFactory(technician=tech_a, station="filling", start=D(2025, 5, 5), end=D(2025, 5, 9))

    with pytest.raises(ApplicationError) as refused:
        services.rotation_schedule(technician=tech_a, station="intake", start=D(2025, 5, 9), end=D(2025, 5, 12))
    assert refused.value.field == "start"
    assert refused.value.message == (
        "Alice Archer is already at Filling from 2025-05-05 to 2025-05-09; rotations of one technician cannot overlap."
    )

    # The day after ends, and another technician on the same days, are fine.
    services.rotation_schedule(technician=tech_a, station="intake", start=D(2025, 5, 10), end=D(2025, 5, 16))
    services.rotation_schedule(technician=tech_b, station="filling", start=D(2025, 5, 5), end=D(2025, 5, 9))
    assert Rotation.objects.count() == 3


def test_a_rotation_that_surrounds_another_is_refused(tech_a):
    RotationFactory(technician=tech_a, start=D(2025, 5, 7), end=D(2025, 5, 7))

    with pytest.raises(ApplicationError):
        services.rotation_schedule(technician=tech_a, station="intake", start=D(2025, 5, 1), end=D(2025, 5, 31))
    assert Rotation.objects.count() == 1


def test_a_rotation_cannot_end_before_it_starts(tech_a):
    with pytest.raises(ApplicationError) as refused:
        services.rotation_schedule(
            technician=tech_a, station="intake", start=D(2025, 5, 9), end=D(2025, 5, 8), learning_week=True
        )
    assert refused.value.field == "end"
