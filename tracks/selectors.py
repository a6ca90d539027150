"""Reads with track rules: what a track position still asks of a technician (minimum tier,
competencies, certifications, leadership hours), enrolments with their progress, and the
scoped lists of enrolments, leadership hours, mentees and mentoring meetings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet, Sum

from technicians.models import Technician
from technicians.selectors import Record, scope_to_viewer
from tiers.selectors import Standing, competency_missing, ladder_standing_many, with_current_tier
from tracks.models import Enrolment, LeadershipHourLog, MentoringMeeting, TrackPosition


def hours_logged(*, technician_ids: Iterable[int], until: dt.date) -> dict[int, dict[str, Decimal]]:
    rows = (
        LeadershipHourLog.objects.filter(technician_id__in=list(technician_ids), worked_on__lte=until)
        .values_list("technician_id", "kind")
        .annotate(total=Sum("hours"))
    )
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for tech_id, kind, total in rows:
        out[tech_id][kind] = total
    return out


def position_missing(*, position: TrackPosition, standing: Standing, hours: dict[str, Decimal]) -> list[dict]:
    """What a track position still asks of a technician (kinds: tier, competency,
    certification, hours)."""
    missing: list[dict] = []
    tier = standing.tier
    if position.min_tier is not None and (tier is None or tier.rank < position.min_tier.rank):
        missing.append(
            {
                "kind": "tier",
                "code": position.min_tier.code,
                "detail": f"Needs {position.min_tier.name} or above.",
            }
        )
    for competency in position.required_competencies.all():
        competency_standing = standing.competencies.get(competency.pk)
        if competency_standing is None or competency_standing.current:
            continue
        entry = competency_missing(competency_standing)
        missing.append({k: entry[k] for k in ("kind", "code", "detail")})
    for cert_type in position.required_certifications.all():
        if cert_type.code not in standing.certifications:
            missing.append(
                {
                    "kind": "certification",
                    "code": cert_type.code,
                    "detail": f"No current, verified {cert_type.name} on record.",
                }
            )
    for kind, needed in (
        (LeadershipHourLog.Kind.SHADOWING, position.min_shadowing_hours),
        (LeadershipHourLog.Kind.ROTATIONAL_LEADERSHIP, position.min_leadership_hours),
    ):
        have = hours.get(kind, Decimal(0))
        if needed and have < needed:
            missing.append(
                {
                    "kind": "hours",
                    "code": kind.value.upper(),
                    "detail": f"{have} of {needed} {kind.label.lower()} hours logged.",
                }
            )
    return missing


def enrolments_with_progress(*, technicians: Iterable, today: dt.date, standings: dict[int, Standing] | None = None):
    """Enrolments of ``technicians`` (active and completed, newest first), each with ``missing``
    and ``ready`` for its target position."""
    technicians = list(technicians)
    ids = [t.pk for t in technicians]
    if standings is None:
        standings = ladder_standing_many(technicians=technicians, today=today)
    # Every position of every track with its requirements (a short catalogue), so the queries
    # are the same whether or not anyone is enrolled.
    positions = {
        p.pk: p
        for p in TrackPosition.objects.select_related("min_tier").prefetch_related(
            "required_competencies", "required_certifications"
        )
    }
    enrolments = list(
        Enrolment.objects.filter(technician_id__in=ids)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("track")
        .order_by("status", "-enrolled_on", "-id")
    )
    for enrolment in enrolments:
        enrolment.position = positions[enrolment.position_id]
    hours = hours_logged(technician_ids=ids, until=today)
    for enrolment in enrolments:
        enrolment.missing = position_missing(
            position=enrolment.position,
            standing=standings[enrolment.technician_id],
            hours=hours.get(enrolment.technician_id, {}),
        )
        enrolment.ready = not enrolment.missing
        enrolment.hours = hours.get(enrolment.technician_id, {})
    return enrolments


def enrolment_progress_dict(enrolment: Enrolment) -> dict:
    return {
        "id": enrolment.pk,
        "track": enrolment.track.code,
        "position": enrolment.position.code,
        "position_name": enrolment.position.name,
        "status": enrolment.status,
        "enrolled_on": enrolment.enrolled_on,
        "ready": enrolment.ready,
        "missing": enrolment.missing,
    }


def enrolment_list(*, viewer) -> QuerySet[Enrolment]:

    return scope_to_viewer(
        Enrolment.objects.select_related("technician", "track", "position", "position__min_tier"),
        viewer=viewer,
        record=Record.ENROLMENTS,
    )


def leadership_hour_list(*, viewer) -> QuerySet[LeadershipHourLog]:

    return scope_to_viewer(
        LeadershipHourLog.objects.select_related("recorded_by"), viewer=viewer, record=Record.LEADERSHIP_HOURS
    )


def mentee_list(*, viewer):
    """The active mentees of the viewer's own technician record.

    A deliberate, narrow widening of ``technicians.selectors``' scope (decided for the issue's
    "the mentor sees mentees"): a mentor sees the names, tiers and ladder progress of the
    technicians they mentor, and the meetings with them, even when the mentor's login is a
    plain technician one. Nothing else about the mentees is opened.
    """

    if not getattr(viewer, "technician_id", None):
        return Technician.objects.none()
    return with_current_tier(
        Technician.objects.filter(mentor_id=viewer.technician_id, status__in=["active", "leave"]).select_related("site")
    ).order_by("last_name", "first_name")


def mentoring_meeting_list(*, viewer) -> QuerySet[MentoringMeeting]:
    """Meetings the viewer may read: those of technicians in scope, plus (for a mentor) the
    meetings they held with their mentees."""
    from django.db.models import Q

    qs = MentoringMeeting.objects.select_related("mentee", "mentor", "recorded_by")
    scoped = scope_to_viewer(qs, viewer=viewer, technician_field="mentee", record=Record.MENTORING_MEETINGS)
    own_technician = getattr(viewer, "technician_id", None)
    if own_technician:
        return qs.filter(Q(pk__in=scoped.values("pk")) | Q(mentor_id=own_technician))
    return scoped
