"""Reads with certification rules. Other apps ask here, never the models directly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from certifications.models import Certification, OrgPolicy


def policy_get() -> OrgPolicy:
    policy, _ = OrgPolicy.objects.get_or_create(pk=1)
    return policy


def current_certifications(*, on: dt.date) -> QuerySet[Certification]:
    """Verified certifications issued on or before ``on`` and not expired on that day.

    Self-reported records count only once a manager has verified them.
    """
    return Certification.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=on),
        issued_on__lte=on,
        verified_at__isnull=False,
    )


def certification_codes_held(*, technician_ids: Iterable[int], on: dt.date) -> dict[int, set[str]]:
    """Codes of the current certifications of each technician on ``on``, in one query."""
    held: dict[int, set[str]] = defaultdict(set)
    rows = current_certifications(on=on).filter(technician_id__in=list(technician_ids))
    for tech_id, code in rows.values_list("technician_id", "type__code"):
        held[tech_id].add(code)
    return held


def ptcb_for(*, technician, today: dt.date) -> dict:
    """``{"deadline", "status"}`` of one technician's PTCB baseline on ``today``."""
    from certifications.ptcb import ptcb_deadline, ptcb_status

    policy = policy_get()
    deadline = ptcb_deadline(hire_date=technician.hire_date, window_months=policy.ptcb_window_months)
    holds = current_certifications(on=today).filter(technician=technician, type__code="CPHT").exists()
    return {"deadline": deadline, "status": ptcb_status(deadline=deadline, holds_cpht=holds, today=today)}


def certification_progress(*, technician, today: dt.date) -> dict:
    """The certification part of ``technicians/{id}/progress/``."""
    held = (
        Certification.objects.filter(technician=technician).select_related("type").order_by("type__code", "-issued_on")
    )
    return {
        "ptcb": ptcb_for(technician=technician, today=today),
        "certifications": [
            {
                "type": c.type.code,
                "name": c.type.name,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "verified": c.verified,
            }
            for c in held
        ],
    }
