"""Every change to a technician's tier history goes through here."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careerladder.core.errors import ApplicationError
from tiers.models import Tier, TierAssignment


def tier_get_by_code(code: str) -> Tier:
    try:
        return Tier.objects.get(code=code)
    except Tier.DoesNotExist:
        codes = ", ".join(Tier.objects.order_by("rank").values_list("code", flat=True))
        raise ApplicationError(f"Unknown tier '{code}'. Use one of: {codes}.", field="tier") from None


@transaction.atomic
def tier_assignment_start(
    *,
    technician,
    tier: Tier,
    start_date: dt.date,
    reason: str,
    recorded_by=None,
    note: str = "",
) -> TierAssignment:
    """Close the open assignment the day ``start_date`` begins and open one in ``tier``.

    Refuses back-dated changes that would start on or before the current assignment's start:
    history is corrected in the admin, not overwritten here.
    """
    current = (
        TierAssignment.objects.select_for_update()
        .filter(technician=technician, end_date__isnull=True)
        .select_related("tier")
        .first()
    )
    if current is not None:
        if current.tier_id == tier.pk:
            raise ApplicationError(f"{technician.full_name} is already in {tier.name}.", field="tier")
        if start_date <= current.start_date:
            raise ApplicationError(
                f"The change must start after {current.start_date:%Y-%m-%d}, when the current tier began.",
                field="effective_date",
            )
        current.end_date = start_date
        current.save(update_fields=["end_date", "updated_at"])
    elif start_date < technician.hire_date:
        raise ApplicationError("A tier cannot start before the hire date.", field="start_date")
    return TierAssignment.objects.create(
        technician=technician,
        tier=tier,
        start_date=start_date,
        reason=reason,
        recorded_by=recorded_by,
        note=note,
    )
