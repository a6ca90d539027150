"""Demo data of training for ``manage.py seed_demo``: programme assignments over the history
window and this month's rotations. Demo data only: migrations never call this module.

Call ``demo_training_create(rng=..., today=...)`` after the technicians, their tier histories,
the demo logins and the ladder's sign-offs exist (a rotation to a station that needs a duty is
only planned for technicians authorised for it, which depends on their competencies).

What it creates, deterministically from ``rng`` and ``today``:

- about two programme assignments a year for every technician while employed, chosen by tier
  (clinical programmes for everyone, cross-training from Tech II, management from Tech III),
  due 30 to 90 days after assignment. Of those due before today about 88 % are completed, most
  on time and some a few weeks late; the rest stay open and show as overdue. Assignments due
  later are open, some started, a few already completed. A technician never holds two open
  assignments of one programme (the service's rule);
- rotations for this week and the next three at every site: most employed technicians are at
  an ordinary station each week (Monday to Friday), those authorised for sterile compounding
  or tech-check-tech sometimes at those stations, and some Tech Is spend a learning week
  shadowing a station they are not yet authorised for;
- for the ``technician`` demo login: one programme due within the week, one in progress and one
  completed, so that its pages show each state.

The programmes seeded by the training migration carry no ACPE UAN, so completing them in the
demo records no CE credit (``training.services.assignment_complete`` would record one only with
a UAN).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from careerladder.core.dates import add_months
from technicians.models import Technician, User
from tiers.models import TierAssignment
from training.models import Program, Rotation, TrainingAssignment
from training.selectors import authorised_duties

HISTORY_REASON = "Demo data (seed_demo)"
BATCH = 2000
ASSIGNMENT_EVERY_MONTHS = 6
SHARE_COMPLETED_WHEN_DUE = 0.88
SHARE_ON_TIME = 0.8
STALE_AFTER_DAYS = 120  # older open assignments were completed late in the end
ROTATION_WEEKS = 4
SHARE_ROTATED = 0.6
SHARE_LEARNING_WEEK = 0.25  # of Tech Is, in a given week

CATEGORIES_BY_TIER = {
    "TECH1": (Program.Category.CLINICAL,),
    "TECH2": (Program.Category.CLINICAL, Program.Category.CROSS_TRAINING),
    "TECH3": (Program.Category.CLINICAL, Program.Category.CROSS_TRAINING, Program.Category.MANAGEMENT),
    "LEAD": (Program.Category.CROSS_TRAINING, Program.Category.MANAGEMENT),
}
ORDINARY_STATIONS = (
    Rotation.Station.INTAKE,
    Rotation.Station.DATA_ENTRY,
    Rotation.Station.FILLING,
    Rotation.Station.INVENTORY,
    Rotation.Station.PICKUP,
)
DUTY_STATIONS = {
    "STERILE_COMPOUNDING": Rotation.Station.STERILE_COMPOUNDING,
    "PRODUCT_VERIFICATION": Rotation.Station.PRODUCT_VERIFICATION,
}


def demo_training_create(*, rng: random.Random, today: dt.date) -> dict[str, int]:
    """Create the demo training data; returns counts by kind."""
    programs = list(Program.objects.filter(active=True).order_by("code"))
    if not programs:
        return {"training_assignments": 0, "rotations": 0}
    by_category = defaultdict(list)
    for program in programs:
        by_category[program.category].append(program)
    hr = User.objects.filter(username="hr").first()
    featured = User.objects.filter(username="technician").values_list("technician_id", flat=True).first()
    technicians = list(Technician.objects.order_by("pk"))
    tiers = _tier_histories([t.pk for t in technicians])
    window_start = add_months(today, -60)

    assignments: list[TrainingAssignment] = []
    for tech in technicians:
        if tech.pk == featured:
            assignments.extend(_featured(tech, by_category, today=today, assigned_by=hr))
        else:
            assignments.extend(
                _assignments_for(rng, tech, tiers[tech.pk], by_category, window_start=window_start, today=today, hr=hr)
            )
    with transaction.atomic():
        bulk_create_with_history(
            assignments, TrainingAssignment, batch_size=BATCH, default_change_reason=HISTORY_REASON
        )
        rotations = _rotations(rng, technicians, tiers, today=today)
        bulk_create_with_history(rotations, Rotation, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    return {"training_assignments": len(assignments), "rotations": len(rotations)}


def _tier_histories(ids: list[int]) -> dict[int, list[tuple[dt.date, str]]]:
    """Each technician's tier assignments as ``[(effective_date, tier_code)]``, oldest first."""
    out: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    rows = (
        TierAssignment.objects.filter(technician_id__in=ids)
        .order_by("technician_id", "start_date", "pk")
        .values_list("technician_id", "start_date", "tier__code")
    )
    for tech_id, effective, code in rows:
        out[tech_id].append((effective, code))
    return out


def _tier_on(history: list[tuple[dt.date, str]], day: dt.date) -> str:
    code = history[0][1] if history else "TECH1"
    for effective, tier_code in history:
        if effective > day:
            break
        code = tier_code
    return code


def _assignments_for(
    rng: random.Random,
    tech: Technician,
    history: list[tuple[dt.date, str]],
    by_category: dict[str, list[Program]],
    *,
    window_start: dt.date,
    today: dt.date,
    hr: User | None,
) -> list[TrainingAssignment]:
    """About one assignment every six months of employment inside the window."""
    out: list[TrainingAssignment] = []
    last_day = min(today, tech.termination_date - dt.timedelta(days=1)) if tech.termination_date else today
    day = max(tech.hire_date, window_start) + dt.timedelta(days=rng.randint(20, 120))
    open_programs: set[int] = set()
    while day <= last_day:
        tier = _tier_on(history, day)
        choices = [
            p
            for category in CATEGORIES_BY_TIER.get(tier, ())
            for p in by_category.get(category, ())
            if p.pk not in open_programs
        ]
        if choices:
            program = rng.choice(choices)
            due = day + dt.timedelta(days=rng.choice((30, 45, 60, 90)))
            assignment = TrainingAssignment(
                technician=tech,
                program=program,
                assigned_on=day,
                due_on=due,
                assigned_by=hr,
                note="Annual development plan",
            )
            _outcome(rng, assignment, last_day=last_day, today=today)
            if assignment.completed_on is None:
                open_programs.add(program.pk)
            out.append(assignment)
        day += dt.timedelta(days=ASSIGNMENT_EVERY_MONTHS * 30 + rng.randint(-30, 30))
    return out


def _outcome(rng: random.Random, assignment: TrainingAssignment, *, last_day: dt.date, today: dt.date) -> None:
    """Completed on time, late, or not (yet), within the technician's employment."""
    assigned, due = assignment.assigned_on, assignment.due_on
    if due < today:
        if rng.random() >= SHARE_COMPLETED_WHEN_DUE:
            if due < today - dt.timedelta(days=STALE_AFTER_DAYS):
                # Nobody leaves a programme open for years: it was finished, months late.
                done = due + dt.timedelta(days=rng.randint(31, STALE_AFTER_DAYS))
            else:
                started = assigned + dt.timedelta(days=rng.randint(1, 10))
                assignment.started_on = started if rng.random() < 0.5 and started <= last_day else None
                return
        elif rng.random() < SHARE_ON_TIME:
            done = assigned + dt.timedelta(days=rng.randint(3, (due - assigned).days))
        else:
            done = due + dt.timedelta(days=rng.randint(1, 30))
    else:
        roll = rng.random()
        if roll < 0.15:
            done = assigned + dt.timedelta(days=rng.randint(1, max(1, (today - assigned).days)))
        else:
            if roll < 0.55 and today > assigned:
                assignment.started_on = assigned + dt.timedelta(days=rng.randint(1, (today - assigned).days))
            return
    if done <= last_day:
        assignment.completed_on = done
        assignment.started_on = assigned + dt.timedelta(days=rng.randint(0, (done - assigned).days))
    elif assigned + dt.timedelta(days=1) <= last_day:
        assignment.started_on = assigned + dt.timedelta(days=1)


def _featured(tech: Technician, by_category, *, today: dt.date, assigned_by) -> list[TrainingAssignment]:
    """The ``technician`` login: due this week, in progress, and completed."""
    clinical = sorted(by_category.get(Program.Category.CLINICAL, ()), key=lambda p: p.code)
    if len(clinical) < 3:
        return []
    health, immunization, reconciliation = clinical[0], clinical[1], clinical[2]
    hired = tech.hire_date
    return [
        TrainingAssignment(
            technician=tech,
            program=reconciliation,
            assigned_on=max(hired, today - dt.timedelta(days=40)),
            due_on=today + dt.timedelta(days=5),
            assigned_by=assigned_by,
            note="Before your Tech II review",
        ),
        TrainingAssignment(
            technician=tech,
            program=immunization,
            assigned_on=max(hired, today - dt.timedelta(days=20)),
            due_on=today + dt.timedelta(days=40),
            started_on=max(hired, today - dt.timedelta(days=10)),
            assigned_by=assigned_by,
            note="Flu season support",
        ),
        TrainingAssignment(
            technician=tech,
            program=health,
            assigned_on=max(hired, today - dt.timedelta(days=120)),
            due_on=max(hired, today - dt.timedelta(days=120)) + dt.timedelta(days=60),
            started_on=max(hired, today - dt.timedelta(days=110)),
            completed_on=max(hired, today - dt.timedelta(days=90)),
            assigned_by=assigned_by,
        ),
    ]


def _rotations(
    rng: random.Random, technicians: list[Technician], tiers: dict[int, list[tuple[dt.date, str]]], *, today: dt.date
) -> list[Rotation]:
    """Monday-to-Friday rotations for this week and the next three, one per technician a week."""
    monday = today - dt.timedelta(days=today.weekday())
    employed = [
        t
        for t in technicians
        if t.hire_date <= monday
        and (t.termination_date is None or t.termination_date > monday + dt.timedelta(weeks=4))
        and t.status != Technician.Status.TERMINATED
    ]
    authorised = authorised_duties(technicians=employed, on=monday)
    manager = User.objects.filter(username="manager").first()
    out: list[Rotation] = []
    for week in range(ROTATION_WEEKS):
        start = monday + dt.timedelta(weeks=week)
        end = start + dt.timedelta(days=4)
        for tech in employed:
            if rng.random() >= SHARE_ROTATED:
                continue
            tier = _tier_on(tiers.get(tech.pk, []), start)
            duty_stations = [
                DUTY_STATIONS[code] for code in sorted(authorised.get(tech.pk, ())) if code in DUTY_STATIONS
            ]
            learning = tier == "TECH1" and rng.random() < SHARE_LEARNING_WEEK
            if learning:
                station = rng.choice(
                    (Rotation.Station.PRODUCT_VERIFICATION, Rotation.Station.COMPOUNDING, Rotation.Station.CLINICAL)
                )
                note = "Learning week: shadowing"
            elif duty_stations and rng.random() < 0.4:
                station, note = rng.choice(duty_stations), ""
            else:
                station, note = rng.choice(ORDINARY_STATIONS), ""
            out.append(
                Rotation(
                    technician=tech,
                    station=station,
                    start=start,
                    end=end,
                    learning_week=learning,
                    note=note,
                    scheduled_by=manager,
                )
            )
    return out
