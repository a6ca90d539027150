"""Writes of the metrics app: materialise KPI snapshots and start recomputes.

Snapshots are computed per scope (one site, or the organisation) so that the work splits into
independent Celery tasks that many workers share; each task is an idempotent upsert (a re-run
updates the rows, the unique constraints on scope + month forbid a second row).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from metrics import kpis
from metrics.models import KpiRun, KpiSnapshot
from technicians.models import Site, Technician

logger = logging.getLogger(__name__)

# Errors meaning "the broker (Redis) cannot be reached": the recompute is refused politely and
# the dashboards keep showing the snapshots they have.
try:  # kombu is a Celery dependency
    from kombu.exceptions import OperationalError as BrokerOperationalError
except ImportError:  # pragma: no cover
    BrokerOperationalError = OSError
WORKERS_SILENT_AFTER = dt.timedelta(minutes=5)
BROKER_ERRORS = (BrokerOperationalError, ConnectionError, OSError, TimeoutError)


def month_label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def parse_month(value: str, *, field: str = "month") -> dt.date:
    """``"YYYY-MM"`` → the month's first day; an ``ApplicationError`` naming ``field`` otherwise."""
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ApplicationError("Enter a month as YYYY-MM.", field=field) from None


def default_months(*, today: dt.date) -> list[dt.date]:
    """Every month from the earliest hire to the current month (``compute_kpis``'s default)."""
    first_hire = Technician.objects.order_by("hire_date").values_list("hire_date", flat=True).first()
    return kpis.months_from_to(first_hire or today, today)


def nightly_months(*, today: dt.date) -> list[dt.date]:
    """The nightly job's months: the previous one (final figures) and the current one."""
    current = today.replace(day=1)
    return [add_months(current, -1), current]


def kpi_snapshots_compute(*, site_id: int | None, months: Iterable[dt.date], today: dt.date) -> int:
    """Compute and upsert the snapshots of one scope for ``months``; returns the rows written.

    Idempotent: an existing row for scope + month is updated in place. If another worker
    inserted the same row between our read and our insert, the unique constraint refuses ours
    and the whole batch is redone once as updates.
    """
    months = sorted({m.replace(day=1) for m in months if m.replace(day=1) <= today})
    if site_id is not None and not Site.objects.filter(pk=site_id).exists():
        return 0  # the site was deleted since the task was queued: nothing to do
    rows = []
    for month in months:
        start, end = kpis.month_period(month, today=today)
        rows.append((month, start, end, kpis.compute_kpis(start=start, end=end, site_id=site_id)))
    try:
        return _upsert(site_id=site_id, rows=rows)
    except IntegrityError:
        logger.info("KPI snapshot race for site %s; redoing as updates", site_id)
        return _upsert(site_id=site_id, rows=rows)


@transaction.atomic
def _upsert(*, site_id: int | None, rows: list) -> int:
    now = timezone.now()
    existing = {
        s.month: s
        for s in KpiSnapshot.objects.select_for_update().filter(site_id=site_id, month__in=[r[0] for r in rows])
    }
    fields = ["period_start", "period_end", *kpis.KPI_FIELDS, "computed_at"]
    to_update, to_create = [], []
    for month, start, end, values in rows:
        snapshot = existing.get(month) or KpiSnapshot(site_id=site_id, month=month)
        snapshot.period_start, snapshot.period_end, snapshot.computed_at = start, end, now
        for name in kpis.KPI_FIELDS:
            setattr(snapshot, name, values[name])
        (to_update if snapshot.pk else to_create).append(snapshot)
    if to_update:
        KpiSnapshot.objects.bulk_update(to_update, fields)
    if to_create:
        KpiSnapshot.objects.bulk_create(to_create)
    return len(rows)


def scopes_for(*, site_ids: Iterable[int] | None) -> list[int | None]:
    """The scopes to compute: the given sites, or every site plus the organisation (``None``)."""
    if site_ids is None:
        return [None, *Site.objects.order_by("pk").values_list("pk", flat=True)]
    return list(site_ids)


def kpi_snapshots_compute_all(
    *,
    months: list[dt.date],
    today: dt.date,
    site_ids: Iterable[int] | None = None,
    progress: Callable[[int, int, int | None], None] | None = None,
) -> int:
    """Synchronously compute every scope (``compute_kpis`` and the demo use this; the tasks run
    the same per-scope service). ``progress(done, total, site_id)`` is called after each scope."""
    scopes = scopes_for(site_ids=site_ids)
    written = 0
    for done, site_id in enumerate(scopes, start=1):
        written += kpi_snapshots_compute(site_id=site_id, months=months, today=today)
        if progress:
            progress(done, len(scopes), site_id)
    return written


def kpi_snapshots_enqueue(*, months: list[dt.date], site_ids: Iterable[int] | None = None, run_id=None) -> None:
    """Queue the per-scope tasks once the current transaction commits (so a task never reads
    rows that are not committed yet). Other apps call this after an import."""
    from metrics.tasks import kpi_snapshots_fan_out

    labels = [month_label(m) for m in months]
    ids = None if site_ids is None else list(site_ids)
    transaction.on_commit(lambda: kpi_snapshots_fan_out.delay(labels, ids, run_id))


def kpi_recompute_start(*, requested_by, months: list[dt.date], site_ids: list[int] | None) -> KpiRun:
    """Start a recompute asked for on the dashboard (``site_ids=None``: every site and the
    organisation). If the broker cannot be reached the run is marked failed with a message
    instead of raising: the dashboards keep answering from the snapshots they have."""
    run = KpiRun.objects.create(
        requested_by=requested_by,
        months=[month_label(m) for m in months],
        site_ids=list(site_ids) if site_ids is not None else list(Site.objects.values_list("pk", flat=True)),
        org_wide=site_ids is None,
    )
    from metrics.tasks import kpi_snapshots_fan_out

    def enqueue() -> None:
        try:
            kpi_snapshots_fan_out.apply_async(
                args=[run.months, site_ids, run.pk],
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
            )
        except BROKER_ERRORS as exc:
            logger.warning("KPI recompute %s could not be queued: %r", run.pk, exc)
            KpiRun.objects.filter(pk=run.pk).update(
                status=KpiRun.Status.FAILED,
                message="The task queue cannot be reached; the figures shown are the last ones computed.",
            )

    # Outside a transaction this runs at once, so the caller sees a failed run immediately.
    transaction.on_commit(enqueue)
    run.refresh_from_db()
    return run


def kpi_run_progress(*, run: KpiRun) -> dict:
    """How far a recompute has come: its snapshots written since it was asked for."""
    months = [parse_month(m) for m in run.months]
    expected = len(months) * (len(run.site_ids) + (1 if run.org_wide else 0))
    written_sites = KpiSnapshot.objects.filter(
        month__in=months, computed_at__gte=run.created_at, site_id__in=run.site_ids
    ).count()
    written_org = (
        KpiSnapshot.objects.filter(month__in=months, computed_at__gte=run.created_at, site__isnull=True).count()
        if run.org_wide
        else 0
    )
    done = written_sites + written_org
    if run.status == KpiRun.Status.QUEUED and done >= expected:
        KpiRun.objects.filter(pk=run.pk, status=KpiRun.Status.QUEUED).update(status=KpiRun.Status.DONE)
        run.status = KpiRun.Status.DONE
    message = run.message
    waiting = timezone.now() - run.created_at
    if run.status == KpiRun.Status.QUEUED and done == 0 and waiting > WORKERS_SILENT_AFTER:
        message = "No worker has started on this yet: are the Celery workers running? The figures shown are the last ones computed."
    return {
        "done": min(done, expected),
        "total": expected,
        "percent": round(100 * min(done, expected) / expected) if expected else 100,
        "status": run.status,
        "message": message,
    }
