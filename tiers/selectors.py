"""Reads with ladder rules: where a technician stands and what the next tier asks for."""

from __future__ import annotations

import datetime as dt

from careerladder.core.dates import months_between
from tiers.models import Tier, TierAssignment


def current_assignment(*, technician) -> TierAssignment | None:
    return TierAssignment.objects.filter(technician=technician, end_date__isnull=True).select_related("tier").first()


def next_tier_for(tier: Tier | None) -> Tier | None:
    if tier is None:
        return None
    return Tier.objects.filter(rank__gt=tier.rank).order_by("rank").first()


def ladder_progress(*, technician, today: dt.date) -> dict:
    """The ladder part of ``technicians/{id}/progress/``: current and next tier, and whether
    every requirement of the next tier holds today (``missing`` lists what does not)."""
    current = current_assignment(technician=technician)
    tier = current.tier if current else None
    nxt = next_tier_for(tier)
    missing: list[dict] = []
    if nxt is not None and current is not None:
        months = months_between(current.start_date, today)
        floor = nxt.min_months_in_prior_tier
        if floor and months < floor:
            missing.append(
                {
                    "kind": "tenure",
                    "code": tier.code,
                    "detail": f"{months:.1f} of the {floor} months required as {tier.name}.",
                }
            )
        if nxt.min_evaluation_average is not None:
            missing.append(
                {
                    "kind": "evaluation",
                    "code": "EVAL_AVG",
                    "detail": f"No monthly evaluations recorded; {nxt.name} needs an average of at least "
                    f"{nxt.min_evaluation_average} over the last 3.",
                }
            )
    return {
        "tier": tier.code if tier else None,
        "next_tier": nxt.code if nxt else None,
        "eligible": nxt is not None and not missing and technician.status != "terminated",
        "missing": missing,
    }
