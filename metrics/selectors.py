"""Reads of the metrics app: snapshots for the dashboards, and today's action lists.

Scope comes from ``technicians.selectors`` (the one scoping mechanism): hr and admin see the
organisation and every site, a manager the sites they manage. Every function here costs a
fixed number of queries whatever the number of technicians or sites (lists are cut to
``limit`` rows and carry their full count through a window function).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum, Window

from careerladder.core.dates import add_months, months_between
from careerladder.core.queue import broker_check
from certifications.ptcb import PtcbStatus
from certifications.selectors import expiring_certifications, ptcb_roster
from metrics import kpis
from metrics.models import KpiRun, KpiSnapshot
from technicians import selectors as technicians_selectors
from technicians.models import Site, Technician
from technicians.roles import MANAGERS
from technicians.selectors import ORG_WIDE_ROLES, Record, role_of, scope_to_viewer, site_list, viewer_site_ids
from tiers import selectors as tiers_selectors
from tiers.models import Tier
from tiers.selectors import ladder_standing_many, promotion_candidates, standings_ready, with_current_tier
from training.models import TrainingAssignment

SORTABLE = ("site", *kpis.KPI_FIELDS)


def is_org_wide(viewer) -> bool:
    return role_of(viewer) in ORG_WIDE_ROLES


def can_see_kpis(viewer) -> bool:
    return role_of(viewer) in MANAGERS


# ---- snapshots -------------------------------------------------------------------------------


def snapshot_list(*, viewer, site_id: int | None = None, month: dt.date | None = None, org_only: bool = False):
    """Stored snapshots the viewer may see: hr and admin every row (the organisation's have no
    site), a manager the rows of their own sites; nobody else any."""
    qs = KpiSnapshot.objects.select_related("site")
    if not can_see_kpis(viewer):
        return qs.none()
    site_ids = viewer_site_ids(viewer)
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    if org_only:
        qs = qs.filter(site__isnull=True)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", F("site__code").asc(nulls_first=True))


def _series_filter(*, viewer, site_id: int | None) -> Q:
    """The snapshot rows that make up the viewer's dashboard scope."""
    if site_id is not None:
        return Q(site_id=site_id)
    if is_org_wide(viewer):
        return Q(site__isnull=True)
    return Q(site_id__in=viewer_site_ids(viewer) or [])


def snapshot_series(*, viewer, months: list[dt.date], site_id: int | None = None) -> list[dict]:
    """The dashboard's figures per month (one query): the organisation's snapshots for hr, the
    sum of a manager's site snapshots otherwise. Counts of disjoint sites add up and rates are
    derived again from the sums (``kpis.derive_rates``); a median cannot be combined, so it is
    given only when the scope is one snapshot row. Months without a snapshot are ``None``."""
    sums = {name: Sum(name) for name in kpis.COUNT_FIELDS}
    rows = (
        KpiSnapshot.objects.filter(_series_filter(viewer=viewer, site_id=site_id), month__in=months)
        .values("month")
        .annotate(
            **sums,
            rows=Count("id"),
            period_start=Min("period_start"),
            period_end=Max("period_end"),
            oldest=Min("computed_at"),
            newest=Max("computed_at"),
            single_median=Max("median_months_to_promotion"),
        )
        .order_by("month")
    )
    by_month = {row["month"]: row for row in rows}
    series = []
    for month in months:
        row = by_month.get(month)
        if row is None:
            series.append(None)
            continue
        median = row["single_median"] if row["rows"] == 1 else None
        values = kpis.derive_rates(row, start=row["period_start"], end=row["period_end"], median=median)
        series.append(
            {
                "month": month,
                "period_start": row["period_start"],
                "period_end": row["period_end"],
                "oldest": row["oldest"],
                "newest": row["newest"],
                "sites_combined": row["rows"],
                **kpis.ordered(values),
            }
        )
    return series


def site_comparison(*, viewer, month: dt.date, sort: str = "site", descending: bool = False) -> QuerySet[KpiSnapshot]:
    """The month's snapshot of every site in scope, sorted by any KPI (empty rates last)."""
    qs = snapshot_list(viewer=viewer, month=month).filter(site__isnull=False)
    if sort not in SORTABLE:
        sort = "site"
    if sort == "site":
        key = F("site__code")
    else:
        key = F(sort)
    order = key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)
    return qs.order_by(order, "site__code")


# ---- broker status ----------------------------------------------------------------------------


BROKER_CHECK_SECONDS = 60
_broker_checked: list = []  # [(monotonic time, available)]: this process's last answer


def broker_available() -> bool:
    """Whether the task queue answers (kept for a minute in the shared cache and in this
    process, so a down broker costs one short wait a minute, not one per page, even when the
    cache is down with it: the broker and the cache are often the same Redis). No broker
    configured means tasks run in process."""
    if not settings.CELERY_BROKER_URL:
        return True
    cached = cache.get("metrics:broker-available")
    if cached is not None:
        return cached
    cache_down = not getattr(cache, "available", True)  # careerladder/core/cache.py
    if cache_down and _broker_checked and time.monotonic() - _broker_checked[0][0] < BROKER_CHECK_SECONDS:
        return _broker_checked[0][1]
    available = broker_check(timeout=1.0)[0]
    _broker_checked[:] = [(time.monotonic(), available)]
    cache.set("metrics:broker-available", available, BROKER_CHECK_SECONDS)
    return available


# ---- reconciliation -----------------------------------------------------------------------------


def kpi_snapshots_missing(*, today: dt.date) -> dict[int | None, list[dt.date]]:
    """The snapshots that should exist and do not, as ``{scope: [months]}`` (scope ``None`` is
    the organisation), for the reconciler to queue.

    "Should exist": every month from the earliest hire to ``today``'s month (the months
    ``compute_kpis`` writes by default), for the organisation and for every site that has had
    a technician (a site nobody ever worked at needs no figures). Four queries whatever the
    size: the earliest hire; per staffed site, how many of those months it has (one aggregate,
    keeping only incomplete sites); the organisation's count; the months the incomplete scopes
    do have. Complete scopes never leave the database.
    """
    first_hire = Technician.objects.aggregate(first=Min("hire_date"))["first"]
    if first_hire is None or first_hire > today:
        return {}
    months = kpis.months_from_to(first_hire, today)
    first, last = months[0], months[-1]
    incomplete: list[int | None] = list(
        Site.objects.filter(Exists(Technician.objects.filter(site=OuterRef("pk"))))
        .annotate(
            have=Count("kpi_snapshots", filter=Q(kpi_snapshots__month__gte=first, kpi_snapshots__month__lte=last))
        )
        .filter(have__lt=len(months))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if KpiSnapshot.objects.filter(site__isnull=True, month__gte=first, month__lte=last).count() < len(months):
        incomplete.insert(0, None)
    if not incomplete:
        return {}
    scope = Q(site_id__in=[pk for pk in incomplete if pk is not None])
    if incomplete[0] is None:
        scope |= Q(site__isnull=True)
    present: dict[int | None, set[dt.date]] = defaultdict(set)
    rows = KpiSnapshot.objects.filter(scope, month__gte=first, month__lte=last).values_list("site_id", "month")
    for site_id, month in rows:
        present[site_id].add(month)
    return {pk: [m for m in months if m not in present[pk]] for pk in incomplete}


def kpi_runs_not_queued(*, since: dt.datetime) -> QuerySet[KpiRun]:
    """Recomputes asked for since ``since`` that could not be queued because the broker was
    down (status "failed"): the reconciler queues them once it is back."""
    return KpiRun.objects.filter(status=KpiRun.Status.FAILED, created_at__gte=since).order_by("created_at", "pk")


# ---- breakdowns for hr --------------------------------------------------------------------------


def _scoped_technicians(viewer, site_id: int | None = None, *, record: str) -> QuerySet[Technician]:
    qs = scope_to_viewer(Technician.objects.all(), viewer=viewer, technician_field="", record=record)
    return qs if site_id is None else qs.filter(site_id=site_id)


def exit_reasons(*, viewer, start: dt.date, end: dt.date) -> list[dict]:
    """Voluntary separations in ``[start, end]`` by exit-interview reason, most frequent first."""
    labels = dict(Technician.ExitReason.choices)
    rows = (
        _scoped_technicians(viewer, record=Record.SEPARATIONS)
        .filter(
            termination_type=Technician.TerminationType.VOLUNTARY,
            termination_date__gte=start,
            termination_date__lte=end,
        )
        .values("exit_reason")
        .annotate(count=Count("id"))
        .order_by("-count", "exit_reason")
    )
    total = sum(row["count"] for row in rows)
    return [
        {
            "reason": row["exit_reason"],
            "label": labels.get(row["exit_reason"], "Not recorded"),
            "count": row["count"],
            "percent": 100 * row["count"] / total if total else 0,
        }
        for row in rows
    ]


def promotions_by_tier(*, viewer, start: dt.date, end: dt.date) -> list[dict]:
    """Promotions effective in ``[start, end]`` per tier reached, with the median months spent in
    the prior tier (one query: the promotions of the period, one row each)."""
    qs = scope_to_viewer(tiers_selectors.promotions_in(start, end), viewer=viewer, record=Record.PROMOTIONS)
    pairs: dict[str, list] = defaultdict(list)
    for code, prior, promoted in qs.values_list("tier__code", "prior_start", "start_date"):
        pairs[code].append(months_between(prior, promoted))
    return [
        {
            "tier": tier,
            "count": len(pairs.get(tier.code, [])),
            "median_months": statistics.median(pairs[tier.code]) if pairs.get(tier.code) else None,
        }
        for tier in Tier.objects.filter(rank__gt=1).order_by("rank")
    ]


# ---- today's action lists -----------------------------------------------------------------------


def _with_total(qs: QuerySet, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows and the full count, in one query (a window count)."""
    rows = list(qs.annotate(total_rows=Window(Count("pk")))[:limit])
    return rows, (rows[0].total_rows if rows else 0)


def _action_list(rows: list, total: int) -> dict:
    return {"rows": rows, "total": total, "more": total - len(rows)}


def ptcb_attention(*, viewer, today: dt.date, site_id: int | None = None, limit: int = 10) -> dict:
    """Technicians without CPhT whose PTCB deadline has passed (overdue) or falls within 60
    days (due soon), earliest deadline first (``certifications.selectors.ptcb_roster``)."""
    qs = ptcb_roster(viewer=viewer, today=today, site=site_id).filter(
        ptcb_status__in=[PtcbStatus.OVERDUE, PtcbStatus.DUE_SOON]
    )
    rows, total = _with_total(qs, limit)
    for tech in rows:
        tech.ptcb_overdue = tech.ptcb_status == PtcbStatus.OVERDUE
        tech.ptcb_days = abs((tech.ptcb_deadline - today).days)
    return _action_list(rows, total)


def certificates_expiring(*, viewer, today: dt.date, site_id: int | None = None, limit: int = 10) -> dict:
    """Certifications expiring within the policy's window, or expired and not renewed
    (``certifications.selectors.expiring_certifications``), soonest first."""
    rows, total = _with_total(
        expiring_certifications(viewer=viewer, today=today, site=site_id).select_related(
            "technician", "technician__site", "type"
        ),
        limit,
    )
    for cert in rows:
        cert.days_left = (cert.expires_on - today).days
    return _action_list(rows, total)


def stalled_technicians(*, viewer, today: dt.date, site_id: int | None = None, limit: int = 10) -> dict:
    """Employed technicians longer in their tier than the tier's expected months."""
    tiers = list(Tier.objects.all())
    qs = with_current_tier(_scoped_technicians(viewer, site_id, record=Record.TIERS).select_related("site")).filter(
        technicians_selectors.employed_on(today), tiers_selectors.stalled_on(today, tiers)
    )
    rows, total = _with_total(qs.order_by("current_tier_since", "last_name", "id"), limit)
    expected = {t.pk: t.expected_months for t in tiers}
    for tech in rows:
        tech.months_in_tier = months_between(tech.current_tier_since, today) if tech.current_tier_since else None
        tech.expected_months = expected.get(tech.current_tier_id)
    return _action_list(rows, total)


def training_overdue(*, viewer, today: dt.date, site_id: int | None = None, limit: int = 10) -> dict:
    """Training assignments past their due date and not completed, for employed technicians."""
    qs = scope_to_viewer(TrainingAssignment.objects.all(), viewer=viewer, record=Record.TRAINING)
    if site_id is not None:
        qs = qs.filter(technician__site_id=site_id)
    qs = qs.filter(
        technicians_selectors.employed_on(today, prefix="technician__"), completed_on__isnull=True, due_on__lt=today
    )
    rows, total = _with_total(
        qs.select_related("technician", "technician__site", "program").order_by("due_on", "id"), limit
    )
    for assignment in rows:
        assignment.days_late = (today - assignment.due_on).days
    return _action_list(rows, total)


READY_SCOPE_LIMIT = 1500


def ready_for_promotion(*, viewer, today: dt.date, site_id: int | None = None, limit: int = 10) -> dict:
    """The dashboard's "ready for promotion": ``tiers.selectors.promotion_candidates`` whose
    standing is ready (``standings_ready``), as on the ready page.

    The ladder reads every requirement of every technician in memory, so the list is offered for
    scopes up to ``READY_SCOPE_LIMIT`` employed technicians (a manager's sites, one site); a
    larger scope (hr's whole organisation) is asked to pick a site instead.
    """
    qs = promotion_candidates(viewer=viewer, today=today, site_id=site_id)
    employed = qs.count()
    if employed > READY_SCOPE_LIMIT:
        return {"available": False, "employed": employed, "rows": [], "total": 0, "more": 0}
    standings = ladder_standing_many(technicians=qs.order_by("last_name", "first_name", "id"), today=today)
    ready = standings_ready(standings.values())
    return {"available": True, "employed": employed, **_action_list(ready[:limit], len(ready))}


def sites_in_scope(*, viewer) -> QuerySet[Site]:
    return site_list(viewer=viewer).order_by("code")


def trend_months(*, today: dt.date, count: int = 12) -> list[dt.date]:
    current = today.replace(day=1)
    return [add_months(current, -offset) for offset in range(count - 1, -1, -1)]
