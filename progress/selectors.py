"""A technician's progress as ``/me/`` and ``technicians/{id}/progress/`` show it, composed from
each app's selectors: the ladder (tiers, competencies, tracks), certifications and CE, training and
rotations. Nothing here decides a rule; every figure comes from the app that owns it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from certifications.selectors import certification_progress
from tiers.selectors import ladder_standing
from tracks.selectors import enrolment_progress_dict, enrolments_with_progress
from training.selectors import training_progress


def ladder_progress(*, technician, today: dt.date) -> dict:
    """The ladder part of ``technicians/{id}/progress/``: current and next tier, eligibility and
    what is missing, the competencies that matter and the technician's tracks."""
    standing = ladder_standing(technician=technician, today=today)
    enrolments = enrolments_with_progress(technicians=[technician], today=today, standings={technician.pk: standing})
    return {
        "tier": standing.tier.code if standing.tier else None,
        "next_tier": standing.next_tier.code if standing.next_tier else None,
        "eligible": standing.eligible,
        "missing": standing.missing,
        "evaluation_average": standing.evaluation_average,
        "months_in_tier": round(standing.months_in_tier, 1) if standing.months_in_tier is not None else None,
        "competencies": [row.as_dict() for row in standing.competency_rows()],
        "tracks": [enrolment_progress_dict(e) for e in enrolments],
    }


def technician_progress(*, technician, today=None, ladder: bool = True) -> dict:
    """The technician's standing from each app's selector. ``ladder=False`` leaves out the
    ladder part: the ``/me/`` page shows it through ``{% career_map %}``, which reads it itself,
    so reading it here too would run the same dozen queries twice."""
    today = today or timezone.localdate()
    return {
        **(ladder_progress(technician=technician, today=today) if ladder else {}),
        **certification_progress(technician=technician, today=today),
        **training_progress(technician=technician, today=today),
    }
