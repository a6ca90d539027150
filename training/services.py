"""Every write of the training app: assignments (one technician or many), progress and
completion (with the programme's CE credit), and rotations.

Callers check who may act (``training.permissions``) first; these functions own the rules and
the transactions. A refused change raises ``ApplicationError`` (a 400 on the API, a form error
on the pages) and writes nothing. Every rule that reads a row's state before writing (the
technician has not left, the programme is not open already, the assignment is not completed,
the rotation does not overlap another) is checked after locking that row, or the technician's
row that serialises their writes, so a change that commits in between is seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from careerladder.core import versions
from careerladder.core.errors import ApplicationError
from certifications import selectors as certification_selectors
from certifications import services as certification_services
from certifications.acpe import normalise_uan
from technicians.models import Technician
from training import selectors
from training.models import Program, Rotation, TrainingAssignment
from training.permissions import can_record_progress


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _lock_technician(technician: Technician) -> Technician:
    """The technician re-read under a row lock: the row that serialises writes about them
    (assignments, rotations) and whose status the rules read."""
    return Technician.objects.select_for_update().get(pk=technician.pk)


def _check_dates(*, assigned_on: dt.date, due_on: dt.date, program: Program) -> None:
    if not program.active:
        raise ApplicationError(f"{program.name} is retired and cannot be assigned.", field="program")
    if due_on < assigned_on:
        raise ApplicationError("The due date cannot be before the day the programme is assigned.", field="due_on")


def _has_open_assignment(*, technician_id: int, program: Program) -> bool:
    return TrainingAssignment.objects.filter(
        technician_id=technician_id, program=program, completed_on__isnull=True
    ).exists()


@transaction.atomic
def assignment_create(
    *,
    technician: Technician,
    program: Program,
    due_on: dt.date,
    assigned_by=None,
    assigned_on: dt.date | None = None,
    note: str = "",
) -> TrainingAssignment:
    """Assign ``program`` to one technician. A programme already assigned and not yet completed
    is not assigned twice."""
    assigned_on = _today(assigned_on)
    _check_dates(assigned_on=assigned_on, due_on=due_on, program=program)
    # Lock the technician so two managers assigning at once cannot create a duplicate, and a
    # separation committed meanwhile is seen.
    technician = _lock_technician(technician)
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("Training cannot be assigned to a technician who has left.", field="technician")
    if _has_open_assignment(technician_id=technician.pk, program=program):
        raise ApplicationError(
            f"{program.name} is already assigned to {technician.full_name} and not completed yet.", field="program"
        )
    assignment = TrainingAssignment(
        technician=technician,
        program=program,
        assigned_on=assigned_on,
        due_on=due_on,
        assigned_by=assigned_by,
        note=(note or "")[:300],
    )
    assignment._history_user = assigned_by
    assignment.save()
    return assignment


@dataclass
class BulkResult:
    created: list[TrainingAssignment]
    skipped: int  # technicians who already had the programme open


@transaction.atomic
def assignment_bulk_create(
    *,
    technicians: Iterable[Technician],
    program: Program,
    due_on: dt.date,
    assigned_by=None,
    assigned_on: dt.date | None = None,
    note: str = "",
) -> BulkResult:
    """Assign ``program`` to many technicians at once (a site, a tier): one insert for all of
    them. Technicians who have left are passed over, as are those who already have the
    programme open (counted in ``skipped``)."""
    assigned_on = _today(assigned_on)
    _check_dates(assigned_on=assigned_on, due_on=due_on, program=program)
    technicians = list(technicians)
    ids = [t.pk for t in technicians if t.status != Technician.Status.TERMINATED]
    if not ids:
        raise ApplicationError("No technicians match: nobody was assigned.")
    locked = list(
        Technician.objects.select_for_update()
        .filter(pk__in=ids)
        .exclude(status=Technician.Status.TERMINATED)  # on the locked rows: a separation meanwhile counts
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    already = set(
        TrainingAssignment.objects.filter(
            technician_id__in=locked, program=program, completed_on__isnull=True
        ).values_list("technician_id", flat=True)
    )
    rows = [
        TrainingAssignment(
            technician_id=pk,
            program=program,
            assigned_on=assigned_on,
            due_on=due_on,
            assigned_by=assigned_by,
            note=(note or "")[:300],
        )
        for pk in locked
        if pk not in already
    ]
    created = bulk_create_with_history(rows, TrainingAssignment, batch_size=500, default_user=assigned_by)
    versions.touch_sites({tech.site_id for tech in technicians})  # bulk_create sends no signals
    return BulkResult(created=list(created), skipped=len(already))


@transaction.atomic
def assignment_start(*, assignment: TrainingAssignment, today: dt.date | None = None) -> TrainingAssignment:
    """The technician has begun the programme (status ``in_progress`` until it falls due)."""
    assignment = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.completed_on:
        raise ApplicationError("This programme is completed already.")
    if assignment.started_on is None:
        assignment.started_on = max(_today(today), assignment.assigned_on)
        assignment.save(update_fields=["started_on", "updated_at"])
    return assignment


@transaction.atomic
def assignment_complete(
    *,
    assignment: TrainingAssignment,
    completed_by=None,
    completed_on: dt.date | None = None,
    uan: str = "",
    today: dt.date | None = None,
) -> TrainingAssignment:
    """Record completion on ``completed_on`` (default today) and, for a CE-bearing programme,
    the CE credit it earns.

    The credit goes through ``certifications.services.ce_credit_record`` (CPE Monitor needs the
    activity's ACPE UAN): the ``uan`` given here, else the programme's own. A CE-bearing
    programme with neither is completed without a credit (``assignment.ce_credit`` is None) and
    the technician logs it from the statement of credit. A UAN already logged for the
    technician is not logged twice (an activity counts once).
    """
    today = _today(today)
    completed_on = completed_on or today
    assignment = (
        TrainingAssignment.objects.select_for_update().select_related("program", "technician").get(pk=assignment.pk)
    )
    if completed_by is not None and not can_record_progress(completed_by, assignment):
        raise PermissionDenied("Only the technician and their managers record progress.")
    if assignment.completed_on:
        raise ApplicationError("This programme is completed already.")
    if completed_on > today:
        raise ApplicationError("The completion date cannot be in the future.", field="completed_on")
    if completed_on < assignment.assigned_on:
        raise ApplicationError(
            f"The completion date cannot be before the programme was assigned ({assignment.assigned_on:%Y-%m-%d}).",
            field="completed_on",
        )
    assignment.completed_on = completed_on
    if assignment.started_on is None:
        assignment.started_on = completed_on
    assignment._history_user = completed_by
    assignment.save(update_fields=["completed_on", "started_on", "updated_at"])
    assignment.ce_credit = None
    program = assignment.program
    number = normalise_uan(uan or program.ce_uan)
    if program.ce_hours and number:
        logged = certification_selectors.ce_credit_list(viewer=completed_by, technician=assignment.technician_id)
        if completed_by is None or not logged.filter(uan=number).exists():
            try:
                assignment.ce_credit = certification_services.ce_credit_record(
                    technician=assignment.technician,
                    completed_on=completed_on,
                    title=program.name,
                    provider=f"ACPE provider {number.split('-')[0]}",
                    uan=number,
                    hours=program.ce_hours,
                    recorded_by=completed_by,
                    today=today,
                )
            except ApplicationError:
                raise
            except ValidationError as exc:
                messages = exc.message_dict if hasattr(exc, "error_dict") else {"uan": exc.messages}
                field = "uan" if "uan" in messages else next(iter(messages))
                raise ApplicationError(" ".join(messages[field]), field=field) from None
    return assignment


@transaction.atomic
def assignment_delete(*, assignment: TrainingAssignment, deleted_by=None) -> None:
    """Withdraw an assignment made in error. A completed one stays: it is the record (checked on
    the locked row, so a completion that commits first wins)."""
    assignment = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.completed_on:
        raise ApplicationError("A completed programme is part of the record and cannot be withdrawn.")
    assignment._history_user = deleted_by
    assignment.delete()


# --- Rotations ------------------------------------------------------------------------------


@transaction.atomic
def rotation_schedule(
    *,
    technician: Technician,
    station: str,
    start: dt.date,
    end: dt.date,
    learning_week: bool = False,
    note: str = "",
    scheduled_by=None,
) -> Rotation:
    """Schedule ``technician`` at ``station`` from ``start`` to ``end`` (both included).

    A technician is at one station at a time, so a rotation that overlaps another of theirs is
    refused. The row lock on the technician serialises concurrent schedulers on every engine
    (see ``Rotation``).
    """
    if station not in Rotation.Station.values:
        raise ApplicationError(f"'{station}' is not a station.", field="station")
    if end < start:
        raise ApplicationError("A rotation cannot end before it starts.", field="end")
    technician = _lock_technician(technician)
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A technician who has left cannot be scheduled.", field="technician")
    if not learning_week:
        _check_station_duties(technician=technician, station=station, start=start, end=end)
    clash = Rotation.objects.filter(technician=technician, start__lte=end, end__gte=start).order_by("start").first()
    if clash is not None:
        raise ApplicationError(
            f"{technician.full_name} is already at {clash.get_station_display()} from "
            f"{clash.start:%Y-%m-%d} to {clash.end:%Y-%m-%d}; rotations of one technician cannot overlap.",
            field="start",
        )
    rotation = Rotation(
        technician=technician,
        station=station,
        start=start,
        end=end,
        learning_week=learning_week,
        note=(note or "")[:300],
        scheduled_by=scheduled_by,
    )
    rotation._history_user = scheduled_by
    rotation.save()
    return rotation


def _check_station_duties(*, technician: Technician, station: str, start: dt.date, end: dt.date) -> None:
    """A station that needs a duty takes only technicians authorised for it from the first day
    of the rotation to the last (PRODUCT.md "Authorised duties"). A learning week is exempt:
    shadowing is how the duty is learnt."""
    duties = list(selectors.duty_list().filter(station=station))
    if not duties:
        return
    for standing in selectors.duty_standings(technicians=[technician], on=start, duties=duties)[technician.pk]:
        if not standing.authorised:
            raise ApplicationError(
                f"{technician.full_name} is not authorised for {standing.duty.name} on {start:%Y-%m-%d} "
                f"(not current: {', '.join(standing.missing)}); schedule a learning week instead.",
                field="station",
            )
        if standing.lapses_on and standing.lapses_on <= end:
            raise ApplicationError(
                f"{technician.full_name}'s authorisation for {standing.duty.name} lapses on "
                f"{standing.lapses_on:%Y-%m-%d}, before the rotation ends.",
                field="end",
            )


@transaction.atomic
def rotation_delete(*, rotation: Rotation, deleted_by=None) -> None:
    rotation._history_user = deleted_by
    rotation.delete()
