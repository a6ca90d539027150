"""Scoped reads of incentives and programmes."""

from __future__ import annotations

from django.db.models import (
    Case,
    QuerySet,
    Value,
    When,
)

from incentives.models import Incentive, IncentiveProgram
from technicians.selectors import Record, scope_to_viewer


def incentive_list(
    *, viewer, site: int | None = None, status: str | None = None, technician: int | None = None
) -> QuerySet[Incentive]:
    qs = scope_to_viewer(
        Incentive.objects.select_related("technician", "technician__site", "program", "awarded_by"),
        viewer=viewer,
        record=Record.INCENTIVES,
    )
    if site:
        qs = qs.filter(technician__site_id=site)
    if status:
        qs = qs.filter(status=status)
    if technician:
        qs = qs.filter(technician_id=technician)
    return qs.order_by(
        Case(When(status=Incentive.Status.ELIGIBLE, then=Value(0)), default=Value(1)), "-eligible_on", "-id"
    )


def incentive_program_list() -> QuerySet[IncentiveProgram]:
    return IncentiveProgram.objects.order_by("-active", "trigger", "code")
