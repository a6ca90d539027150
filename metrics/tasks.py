"""Celery tasks of the metrics app: ids and month labels in, a service call, nothing else.

- ``kpi_snapshots_scope``: one scope (a site id, or ``None`` for the organisation) for a list
  of months. Safe to run twice (an upsert); acknowledged late, so a worker that dies mid-run
  leaves the message to another; retried with exponential backoff and jitter when the database
  drops the connection or is briefly unavailable.
- ``kpi_snapshots_fan_out``: queues one ``kpi_snapshots_scope`` per scope, so that many workers
  share a large organisation.
- ``kpi_snapshots_nightly``: django-celery-beat's nightly entry (migration 0002): the previous
  and the current month for every scope.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from metrics import services

DATABASE_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="metrics.tasks.kpi_snapshots_scope", **DATABASE_RETRY)
def kpi_snapshots_scope(site_id: int | None, months: list[str], run_id: int | None = None) -> int:
    today = timezone.localdate()
    return services.kpi_snapshots_compute(
        site_id=site_id, months=[services.parse_month(m) for m in months], today=today
    )


@shared_task(name="metrics.tasks.kpi_snapshots_fan_out", **DATABASE_RETRY)
def kpi_snapshots_fan_out(months: list[str], site_ids: list[int] | None = None, run_id: int | None = None) -> int:
    scopes = services.scopes_for(site_ids=site_ids)
    for site_id in scopes:
        kpi_snapshots_scope.delay(site_id, months, run_id)
    return len(scopes)


@shared_task(name="metrics.tasks.kpi_snapshots_nightly", **DATABASE_RETRY)
def kpi_snapshots_nightly() -> int:
    months = services.nightly_months(today=timezone.localdate())
    return kpi_snapshots_fan_out([services.month_label(m) for m in months], None, None)
