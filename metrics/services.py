"""Writes of the metrics app: materialise KPI snapshots and start recomputes.

Snapshots are computed per scope (one site, or the organisation) so that the work splits into
independent Celery tasks that many workers share; each task is an idempotent upsert (a re-run
updates the rows, the unique constraints on scope + month forbid a second row).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from careerladder.core.queue import task, tasks_waiting
from metrics import kpis, selectors
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
# A web request that queues a task tries the broker twice, briefly, then reports it down.
QUICK_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
RECOMPUTE_NOT_QUEUED = (
    "The task queue cannot be reached; the figures shown are the last ones computed. "
    "The recompute starts by itself once the queue is back."
)
# Recomputes that could not be queued are queued again by the reconciler for this long.
REQUEUE_RUNS_WITHIN = dt.timedelta(days=7)


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


def kpi_snapshots_compute_month(*, month: dt.date, today: dt.date) -> int:
    """Compute and upsert one month's snapshots of every scope (each site and the
    organisation) in the three grouped queries of ``kpis.kpis_all_scopes``; returns the rows
    written. The nightly job and every organisation-wide recompute split by month this way:
    per scope, the same technicians would be read once for their site and again for the
    organisation, and a large organisation would cost thousands of small queries a month.
    Idempotent like ``kpi_snapshots_compute``."""
    month = month.replace(day=1)
    if month > today:
        return 0
    start, end = kpis.month_period(month, today=today)
    site_ids = list(Site.objects.order_by("pk").values_list("pk", flat=True))
    values = kpis.kpis_all_scopes(start=start, end=end, site_ids=site_ids)
    try:
        return _upsert_month(month=month, start=start, end=end, values=values)
    except IntegrityError:
        logger.info("KPI snapshot race for %s; redoing as updates", month_label(month))
        return _upsert_month(month=month, start=start, end=end, values=values)


@transaction.atomic
def _upsert_month(*, month: dt.date, start: dt.date, end: dt.date, values: dict) -> int:
    now = timezone.now()
    existing = {s.site_id: s for s in KpiSnapshot.objects.select_for_update().filter(month=month)}
    fields = ["period_start", "period_end", *kpis.KPI_FIELDS, "computed_at"]
    to_update, to_create = [], []
    for site_id, kpi_values in values.items():
        snapshot = existing.get(site_id) or KpiSnapshot(site_id=site_id, month=month)
        snapshot.period_start, snapshot.period_end, snapshot.computed_at = start, end, now
        for name in kpis.KPI_FIELDS:
            setattr(snapshot, name, kpi_values[name])
        (to_update if snapshot.pk else to_create).append(snapshot)
    _update_rows(to_update, fields)
    if to_create:
        KpiSnapshot.objects.bulk_create(to_create, batch_size=1000)
    return len(values)


def _update_rows(snapshots: list[KpiSnapshot], names: list[str], batch: int = 500) -> None:
    """Write ``names`` of existing snapshots. ``bulk_update`` would build a CASE per field with
    a branch per row (about 70 ms a row for a month of 2,000 sites: two minutes); on Postgres
    one ``UPDATE … FROM (VALUES …)`` per batch does it in milliseconds, elsewhere one UPDATE
    per row."""
    if connection.vendor != "postgresql":
        for snapshot in snapshots:
            KpiSnapshot.objects.filter(pk=snapshot.pk).update(**{name: getattr(snapshot, name) for name in names})
        return
    fields = [KpiSnapshot._meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    row = "(%s::bigint, " + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    columns = ", ".join(["id", *(qn(field.column) for field in fields)])
    assignments = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in fields)
    table = qn(KpiSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        for first in range(0, len(snapshots), batch):
            chunk = snapshots[first : first + batch]
            params = []
            for snapshot in chunk:
                params.append(snapshot.pk)
                params.extend(getattr(snapshot, field.attname) for field in fields)  # dates, numbers, None
            cursor.execute(
                f"UPDATE {table} AS s SET {assignments} "  # noqa: S608 - model field names only
                f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v({columns}) WHERE s.id = v.id",
                params,
            )


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
    labels = [month_label(m) for m in months]
    ids = None if site_ids is None else list(site_ids)

    def enqueue() -> None:
        try:
            task("metrics.tasks.kpi_snapshots_fan_out").apply_async(
                args=[labels, ids, run_id], retry=True, retry_policy=QUICK_PUBLISH_RETRY
            )
        except BROKER_ERRORS as exc:
            # The caller's data is committed: never turn that into an error page. Record the
            # recompute as not queued; the reconciler queues it once the broker is back.
            logger.warning("KPI recompute for %s could not be queued: %r", labels, exc)
            _kpi_run_not_queued(run_id=run_id, months=labels, site_ids=ids)

    transaction.on_commit(enqueue)


def _kpi_run_not_queued(*, run_id: int | None, months: list[str], site_ids: list[int] | None) -> None:
    if run_id is not None:
        KpiRun.objects.filter(pk=run_id).update(status=KpiRun.Status.FAILED, message=RECOMPUTE_NOT_QUEUED)
        return
    KpiRun.objects.create(
        months=months,
        site_ids=site_ids if site_ids is not None else list(Site.objects.values_list("pk", flat=True)),
        org_wide=site_ids is None,
        status=KpiRun.Status.FAILED,
        message=RECOMPUTE_NOT_QUEUED,
    )


def kpi_recompute_start(*, requested_by, months: list[dt.date], site_ids: list[int] | None) -> KpiRun:
    """Start a recompute asked for on the dashboard (``site_ids=None``: every site and the
    organisation). If the broker cannot be reached the run is marked failed with a message
    instead of raising: the dashboards keep answering from the snapshots they have, and the
    reconciler (``kpi_snapshots_reconcile``) queues the run once the broker is back."""
    run = KpiRun.objects.create(
        requested_by=requested_by,
        months=[month_label(m) for m in months],
        site_ids=list(site_ids) if site_ids is not None else list(Site.objects.values_list("pk", flat=True)),
        org_wide=site_ids is None,
    )

    def enqueue() -> None:
        try:
            task("metrics.tasks.kpi_snapshots_fan_out").apply_async(
                args=[run.months, site_ids, run.pk], retry=True, retry_policy=QUICK_PUBLISH_RETRY
            )
        except BROKER_ERRORS as exc:
            logger.warning("KPI recompute %s could not be queued: %r", run.pk, exc)
            _kpi_run_not_queued(run_id=run.pk, months=run.months, site_ids=site_ids)

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


@dataclass(frozen=True)
class ReconcileSummary:
    months: int  # month tasks queued for missing snapshots
    snapshots: int  # snapshots that were missing
    runs: int  # recomputes queued again after a broker outage
    skipped: bool = False  # the queue still had work waiting: nothing queued this round


def kpi_snapshots_reconcile(*, today: dt.date) -> ReconcileSummary:
    """Queue every snapshot that should exist and does not (``selectors.kpi_snapshots_missing``),
    and again every recompute that could not be queued in the last week because the broker was
    down.

    Missing snapshots are queued as one ``kpi_snapshots_month`` task per month that lacks any
    (every scope of the month in three grouped queries; the scopes it already has are upserted
    again, which is harmless), so filling a large gap costs a task per month, not per site.
    Run by beat every hour (migration 0003), so a task lost for any reason (a worker killed
    beyond recovery, a time limit, a purge, a restore of an old Redis) is made good within the
    hour. While earlier tasks still wait in the queue the round is skipped, so a long backlog
    never piles up duplicates; a duplicate would only upsert the same rows again anyway.
    """

    if tasks_waiting() > 0:
        return ReconcileSummary(months=0, snapshots=0, runs=0, skipped=True)
    missing = selectors.kpi_snapshots_missing(today=today)
    months = sorted({month for scope_months in missing.values() for month in scope_months})
    for month in months:
        task("metrics.tasks.kpi_snapshots_month").delay(month_label(month))
    runs = 0
    for run in selectors.kpi_runs_not_queued(since=timezone.now() - REQUEUE_RUNS_WITHIN):
        # Claim the run first, so two reconcilers never queue it twice.
        if not KpiRun.objects.filter(pk=run.pk, status=KpiRun.Status.FAILED).update(
            status=KpiRun.Status.QUEUED, message=""
        ):
            continue
        try:
            task("metrics.tasks.kpi_snapshots_fan_out").delay(
                run.months, None if run.org_wide else run.site_ids, run.pk
            )
        except BROKER_ERRORS:
            KpiRun.objects.filter(pk=run.pk).update(status=KpiRun.Status.FAILED, message=RECOMPUTE_NOT_QUEUED)
            raise
        runs += 1
    return ReconcileSummary(months=len(months), snapshots=sum(len(m) for m in missing.values()), runs=runs)
