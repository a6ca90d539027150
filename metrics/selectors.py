"""Workforce figures for the dashboard, computed with database aggregates."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from careerladder.core.dates import add_months
from technicians.models import Technician
from technicians.selectors import scope_to_viewer


def workforce_summary(*, viewer, today: dt.date) -> dict:
    """Headcount now and movements over the last 12 months, in one aggregate query."""
    year_ago = add_months(today, -12)
    qs = scope_to_viewer(Technician.objects.all(), viewer=viewer, technician_field="")
    employed_today = Q(hire_date__lte=today) & (Q(termination_date__isnull=True) | Q(termination_date__gt=today))
    employed_year_ago = Q(hire_date__lte=year_ago) & (
        Q(termination_date__isnull=True) | Q(termination_date__gt=year_ago)
    )
    in_last_year = Q(termination_date__gte=year_ago, termination_date__lte=today)
    row = qs.aggregate(
        headcount=Count("id", filter=employed_today),
        headcount_year_ago=Count("id", filter=employed_year_ago),
        on_leave=Count("id", filter=employed_today & Q(status=Technician.Status.LEAVE)),
        hires_12m=Count("id", filter=Q(hire_date__gt=year_ago, hire_date__lte=today)),
        voluntary_12m=Count("id", filter=in_last_year & Q(termination_type=Technician.TerminationType.VOLUNTARY)),
        other_separations_12m=Count(
            "id", filter=in_last_year & ~Q(termination_type=Technician.TerminationType.VOLUNTARY)
        ),
    )
    average = (row["headcount"] + row["headcount_year_ago"]) / 2
    row["voluntary_turnover_12m"] = round(100 * row["voluntary_12m"] / average, 1) if average else None
    row["since"] = year_ago
    return row


def recent_separations(*, viewer, limit: int = 8):
    qs = scope_to_viewer(Technician.objects.select_related("site"), viewer=viewer, technician_field="")
    return qs.filter(termination_date__isnull=False).order_by("-termination_date", "id")[:limit]
