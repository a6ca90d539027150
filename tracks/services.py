"""Every write of tracks and mentoring: enrolments (enrol, withdraw, complete), leadership hours,
assigning a mentor and recording mentoring meetings. The mentor rule itself (a Tech III or Lead)
is ``tiers.services.technician_check_mentor``, which every path that sets a mentor calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from careerladder.core.dates import check_not_future
from careerladder.core.errors import ApplicationError
from competencies.services import signoff_check_not_self
from technicians.models import Technician
from technicians.services import technician_lock
from tiers.services import technician_check_mentor, technician_update
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, TrackPosition
from tracks.permissions import can_record_meeting
from tracks.selectors import enrolments_with_progress


@transaction.atomic
def enrolment_create(
    *, technician, position: TrackPosition, enrolled_by, enrolled_on: dt.date | None = None
) -> Enrolment:
    """Enrol a technician on ``position``'s track, aiming at that position. One active
    enrolment per track; another position on the same track means withdrawing first."""

    enrolled_on = enrolled_on or timezone.localdate()
    technician = technician_lock(technician)  # two enrolments on one track at once: one waits
    if technician.status == Technician.Status.TERMINATED:
        raise ApplicationError("A separated technician cannot enrol.", field="technician")
    check_not_future(enrolled_on, field="enrolled_on")
    if enrolled_on < technician.hire_date:
        raise ApplicationError("The enrolment cannot be before the hire date.", field="enrolled_on")
    if Enrolment.objects.filter(technician=technician, track=position.track, status=Enrolment.Status.ACTIVE).exists():
        raise ApplicationError(
            f"{technician.full_name} is already enrolled on the {position.track.name}.", field="position"
        )
    return Enrolment.objects.create(
        technician=technician, track=position.track, position=position, enrolled_on=enrolled_on, enrolled_by=enrolled_by
    )


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, on: dt.date | None = None) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ApplicationError("Only an active enrolment can be withdrawn.", field="status")
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.ended_on = max(on or timezone.localdate(), enrolment.enrolled_on)
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment, on: dt.date | None = None) -> Enrolment:
    """The technician takes up the position: only once every requirement of it holds."""
    enrolment = Enrolment.objects.select_for_update().select_related("technician").get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ApplicationError("Only an active enrolment can be completed.", field="status")
    on = on or timezone.localdate()
    [progress] = [
        e for e in enrolments_with_progress(technicians=[enrolment.technician], today=on) if e.pk == enrolment.pk
    ]
    if progress.missing:
        raise ApplicationError(
            "Not every requirement of the position holds yet: " + "; ".join(m["detail"] for m in progress.missing),
            field="status",
        )
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.ended_on = max(on, enrolment.enrolled_on)
    enrolment.save()
    return enrolment


@transaction.atomic
def leadership_hours_log(
    *, technician, kind: str, worked_on: dt.date, hours: Decimal, activity: str, recorded_by
) -> LeadershipHourLog:
    """Shadowing or rotational-leadership hours for the management track, recorded by the
    supervising manager or evaluator (never by the technician: logged hours count as verified)."""
    signoff_check_not_self(evaluator=recorded_by, technician=technician)
    if kind not in LeadershipHourLog.Kind.values:
        raise ApplicationError(f"Unknown kind '{kind}'.", field="kind")
    check_not_future(worked_on, field="worked_on")
    if worked_on < technician.hire_date:
        raise ApplicationError("The date is before the technician's hire date.", field="worked_on")
    if not (Decimal(0) < hours <= 24):
        raise ApplicationError("Hours in a day are more than 0 and at most 24.", field="hours")
    if not activity.strip():
        raise ApplicationError("Say what the hours were spent on.", field="activity")
    return LeadershipHourLog.objects.create(
        technician=technician,
        kind=kind,
        worked_on=worked_on,
        hours=hours,
        activity=activity.strip(),
        recorded_by=recorded_by,
    )


@transaction.atomic
def mentor_assign(*, technician, mentor, assigned_by):
    """Give ``technician`` a mentor: an active Tech III or Lead, not themselves (PRODUCT.md
    section 2; the rule is ``technician_check_mentor``, which every path that sets a mentor
    goes through). ``mentor=None`` ends the mentoring. Goes through the technicians service so
    the change lands in the technician's history."""

    try:
        technician_check_mentor(technician=technician, mentor=mentor)
    except ValidationError as exc:  # this service's callers expect its own error type
        raise ApplicationError(exc.message_dict["mentor"][0], field="mentor") from None
    return technician_update(technician=technician, data={"mentor": mentor}, updated_by=assigned_by)


@transaction.atomic
def mentoring_meeting_record(
    *,
    mentee,
    recorded_by,
    met_on: dt.date,
    minutes: int,
    topics: str,
    notes: str = "",
    next_steps: str = "",
) -> MentoringMeeting:
    """Log a meeting between ``mentee`` and their current mentor: the mentor read from the
    locked mentee, so a meeting is never filed under a mentor just replaced, nor recorded by one
    (``tracks.permissions.can_record_meeting`` on the locked row)."""
    mentee = technician_lock(mentee)
    if mentee.mentor_id is None:
        raise ApplicationError(f"{mentee.full_name} has no mentor assigned.", field="mentee")
    if recorded_by is not None and not can_record_meeting(recorded_by, mentee):
        raise PermissionDenied("Only the mentor, the technician's managers and HR log mentoring meetings.")
    check_not_future(met_on, field="met_on")
    if met_on < mentee.hire_date:
        raise ApplicationError("The meeting cannot be before the mentee's hire date.", field="met_on")
    if not 5 <= minutes <= 480:
        raise ApplicationError("A meeting lasts between 5 and 480 minutes.", field="minutes")
    if not topics.strip():
        raise ApplicationError("Say what the meeting covered.", field="topics")
    return MentoringMeeting.objects.create(
        mentee=mentee,
        mentor_id=mentee.mentor_id,
        met_on=met_on,
        minutes=minutes,
        topics=topics.strip(),
        notes=notes,
        next_steps=next_steps,
        recorded_by=recorded_by,
    )
