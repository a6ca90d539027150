"""Celery tasks of the metrics app: ids and month labels in, a service call, nothing else.

- ``kpi_snapshots_scope``: one scope (a site id, or ``None`` for the organisation) for a list
  of months. Safe to run twice (an upsert); acknowledged late, so a worker that dies mid-run
  leaves the message to another; retried with exponential backoff and jitter when the database
  drops the connection or is briefly unavailable.
- ``kpi_snapshots_month``: one month for every site and the organisation, in three grouped
  queries (``services.kpi_snapshots_compute_month``).
- ``kpi_snapshots_fan_out``: for the whole organisation, queues one ``kpi_snapshots_month`` per
  month (so that many workers share a long backfill); for a list of sites, one
  ``kpi_snapshots_scope`` per site.
- ``kpi_snapshots_nightly``: django-celery-beat's nightly entry (migration 0002): the previous
  and the current month for every scope.
- ``kpi_snapshots_reconcile``: beat's hourly entry (migration 0003): queues every snapshot that
  should exist and does not, and the recomputes that could not be queued while the broker was
  down (``services.kpi_snapshots_reconcile``).

A task stopped by its time limit is not retried (it would run out of time again); what it left
undone is missing, and the reconciler queues it again.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from careerladder.core.queue import DATABASE_RETRY
from metrics import services


@shared_task(name="metrics.tasks.kpi_snapshots_scope", **DATABASE_RETRY)
def kpi_snapshots_scope(site_id: int | None, months: list[str], run_id: int | None = None) -> int:
    today = timezone.localdate()
    return services.kpi_snapshots_compute(
        site_id=site_id, months=[services.parse_month(m) for m in months], today=today
    )


@shared_task(name="metrics.tasks.kpi_snapshots_month", **DATABASE_RETRY)
def kpi_snapshots_month(month: str, run_id: int | None = None) -> int:
    return services.kpi_snapshots_compute_month(month=services.parse_month(month), today=timezone.localdate())


@shared_task(name="metrics.tasks.kpi_snapshots_fan_out", **DATABASE_RETRY)
def kpi_snapshots_fan_out(months: list[str], site_ids: list[int] | None = None, run_id: int | None = None) -> int:
    if site_ids is None:  # every site and the organisation: one task per month
        for month in months:
            kpi_snapshots_month.delay(month, run_id)
        return len(months)
    scopes = services.scopes_for(site_ids=site_ids)
    for site_id in scopes:
        kpi_snapshots_scope.delay(site_id, months, run_id)
    return len(scopes)


@shared_task(name="metrics.tasks.kpi_snapshots_nightly", **DATABASE_RETRY)
def kpi_snapshots_nightly() -> int:
    months = services.nightly_months(today=timezone.localdate())
    return kpi_snapshots_fan_out([services.month_label(m) for m in months], None, None)


@shared_task(name="metrics.tasks.kpi_snapshots_reconcile", **DATABASE_RETRY)
def kpi_snapshots_reconcile() -> dict:
    summary = services.kpi_snapshots_reconcile(today=timezone.localdate())
    return {"months": summary.months, "snapshots": summary.snapshots, "runs": summary.runs, "skipped": summary.skipped}
