"""Demo data hook: ``seed_demo`` calls ``demo_kpis_create`` once the demo records exist."""

from __future__ import annotations

import datetime as dt

from metrics import kpis, services
from metrics.selectors import trend_months


def demo_kpis_create(*, today: dt.date) -> int:
    """Materialise the snapshots the dashboards read for the demo: the 12 months they chart
    plus the 12 before (for year-on-year comparisons in reports), every site and the
    organisation, synchronously. Returns the number of snapshots written; idempotent."""
    months = trend_months(today=today, count=24)
    return services.kpi_snapshots_compute_all(months=kpis.months_from_to(months[0], months[-1]), today=today)
