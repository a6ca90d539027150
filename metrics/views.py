"""The dashboards (manager: own sites; hr and admin: the organisation) and hr's KPI reports.

Dashboards read the monthly snapshots (``KpiSnapshot``) and today's action lists straight from
the database, so they answer when Redis or the workers are down, and say so. The recompute
button queues the per-scope tasks and the page polls their progress with htmx.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_POST

from careerladder.core import versions
from careerladder.core.dates import add_months
from metrics import exports, kpis, selectors, services
from metrics.forms import ReportForm
from metrics.models import KpiRun
from technicians.forms import SITE_SELECT_LIMIT
from technicians.selectors import site_count, site_find, viewer_scope, viewer_site_ids
from training.selectors import coverage_gap_lines

STALE_AFTER = dt.timedelta(hours=26)  # the nightly job runs every 24 hours
TREND_FIELDS = (
    "headcount_end",
    "voluntary_turnover_rate_annualized",
    "promotions",
    "training_completion_rate",
    "ptcb_on_time_rate",
)


# How the turnover the dashboard shows (tile, trend, site comparison) is worked out; the tile and
# the chart are already titled "voluntary turnover, annualised".
ANNUALISED_METHOD = capfirst(kpis.TURNOVER_METHODS["voluntary_turnover_rate_annualized"]["how"])


def _require_dashboard_role(request) -> None:
    if not selectors.can_see_kpis(request.user):
        raise Http404


def _require_org_wide(request) -> None:
    if not selectors.is_org_wide(request.user):
        raise Http404


def _site_filter(request):
    """``?site=ID`` (or the site's code, typed where a drop-down would hold too many sites)
    narrows a dashboard to one site in scope; out of scope is 404."""
    return _site_in_scope(request, request.GET.get("site"))


def _site_in_scope(request, raw: str | None):
    if not (raw or "").strip():
        return None
    site = site_find(sites=selectors.sites_in_scope(viewer=request.user), text=raw)
    if site is None:
        raise Http404("No such site.")
    return site


def _site_choices(viewer) -> dict:
    """The sites to offer in the site picker: every one up to ``SITE_SELECT_LIMIT``, none past
    it (the picker becomes a box for the site's code), and how many there are."""
    count = site_count(viewer=viewer)
    sites = list(selectors.sites_in_scope(viewer=viewer)) if count <= SITE_SELECT_LIMIT else []
    return {"sites": sites, "site_count": count}


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _tiles(current: dict | None) -> list[dict]:
    """The five tiles of the current month, with a plain-words hint under each figure."""
    if current is None:
        names = ("Headcount", "Voluntary turnover", "Promotions", "Training completion", "PTCB on time")
        return [{"label": name, "value": None, "hint": "not computed yet"} for name in names]
    c = current
    median = c["median_months_to_promotion"]
    if c["promotions"] == 0:
        promotion_hint = "none so far this month"
    elif median is not None:
        promotion_hint = f"median {median:.1f} months in the tier below"
    else:
        promotion_hint = "median: see each site"
    return [
        {
            "label": "Headcount",
            "value": c["headcount_end"],
            "hint": f"{c['headcount_start']} at the start of the month",
        },
        {
            "label": "Voluntary turnover",
            "value": _fmt(c["voluntary_turnover_rate_annualized"], 1),
            "suffix": "%",
            "hint": f"annualised · {_plural(c['voluntary_separations'], 'voluntary exit')}",
            "method": ANNUALISED_METHOD,
        },
        {"label": "Promotions", "value": c["promotions"], "hint": promotion_hint},
        {
            "label": "Training completion",
            "value": _fmt(c["training_completion_rate"], 0),
            "suffix": "%",
            "hint": f"{c['training_completed']} of {c['training_due']} due this month"
            if c["training_due"]
            else "nothing due this month",
        },
        {
            "label": "PTCB on time",
            "value": _fmt(c["ptcb_on_time_rate"], 0),
            "suffix": "%",
            "hint": f"{c['ptcb_met']} of {_plural(c['ptcb_due'], 'deadline')} met"
            if c["ptcb_due"]
            else "no deadlines this month",
        },
    ]


def _fmt(value: float | None, digits: int) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def _chart_data(series: list[dict | None]) -> dict:
    return {
        "labels": [f"{row['month']:%b %Y}" if row else "" for row in series],
        "months": [f"{row['month']:%Y-%m}" if row else None for row in series],
        **{name: [_round(row[name], 2) if row else None for row in series] for name in TREND_FIELDS},
    }


@login_required
def dashboard(request):
    """Tiles for the current month, 12-month trends, today's action lists; for hr and admin
    also the site comparison, exit reasons and promotions by tier."""
    _require_dashboard_role(request)
    today = timezone.localdate()
    site = _site_filter(request)
    org_wide = selectors.is_org_wide(request.user) and site is None
    months = selectors.trend_months(today=today)
    series = selectors.snapshot_series(viewer=request.user, months=months, site_id=site.pk if site else None)
    current = series[-1]
    computed = [row["oldest"] for row in series if row]
    oldest_current = current["oldest"] if current else None
    stale = oldest_current is None or timezone.now() - oldest_current > STALE_AFTER
    site_id = site.pk if site else None
    year_start = add_months(today.replace(day=1), -11)
    context = {
        "today": today,
        "site": site,
        "org_wide": org_wide,
        # hr and admin: the site choice's empty option is the whole organisation.
        "viewer_org_wide": selectors.is_org_wide(request.user),
        **_site_choices(request.user),
        "current": current,
        "tiles": _tiles(current),
        "has_snapshots": bool(computed),
        "computed_at": oldest_current,
        "stale": stale,
        "broker_ok": selectors.broker_available(),
        "chart_data": _chart_data(series),
        "run": KpiRun.objects.filter(requested_by=request.user).order_by("-created_at").first(),
        "actions_html": _action_lists_html(request.user, today=today, site_id=site_id),
        "year_start": year_start,
        "turnover_method": ANNUALISED_METHOD,
    }
    if context["run"] and context["run"].status == KpiRun.Status.QUEUED:
        context["run_progress"] = services.kpi_run_progress(run=context["run"])
    if org_wide:
        sort = request.GET.get("sort", "site")
        descending = request.GET.get("dir") == "desc"
        comparison = selectors.site_comparison(viewer=request.user, month=months[-1], sort=sort, descending=descending)
        context.update(
            {
                "comparison": Paginator(comparison, 50).get_page(request.GET.get("page")),
                "sort": sort if sort in selectors.SORTABLE else "site",
                "descending": descending,
                "comparison_columns": _comparison_columns(sort, descending),
                # Organisation-wide breakdowns, kept under the organisation's data versions.
                "exit_reasons": versions.cached(
                    "exit-reasons",
                    scope=viewer_scope(request.user),
                    site_ids=None,
                    parts=[year_start, today],
                    compute=lambda: selectors.exit_reasons(viewer=request.user, start=year_start, end=today),
                ),
                "promotions_by_tier": versions.cached(
                    "promotions-by-tier",
                    scope=viewer_scope(request.user),
                    site_ids=None,
                    parts=[year_start, today],
                    compute=lambda: selectors.promotions_by_tier(viewer=request.user, start=year_start, end=today),
                ),
            }
        )
    return render(request, "metrics/dashboard.html", context)


def _action_lists_html(viewer, *, today: dt.date, site_id: int | None) -> str:
    """ "Needs attention today", rendered; kept in the cache under the data versions of the
    scope (careerladder/core/versions.py), so a reload costs a cache read until something in
    the scope changes."""

    def render_lists() -> str:
        context = {
            "ptcb": selectors.ptcb_attention(viewer=viewer, today=today, site_id=site_id),
            "expiring": selectors.certificates_expiring(viewer=viewer, today=today, site_id=site_id),
            "stalled": selectors.stalled_technicians(viewer=viewer, today=today, site_id=site_id),
            "training": selectors.training_overdue(viewer=viewer, today=today, site_id=site_id),
            "ready": selectors.ready_for_promotion(viewer=viewer, today=today, site_id=site_id),
            "coverage_gaps": coverage_gap_lines(viewer=viewer, today=today, site=site_id),
        }
        return render_to_string("metrics/_actions.html", context)

    scope = viewer_scope(viewer)
    return versions.cached(
        "dashboard-actions",
        scope=scope,
        site_ids=[site_id] if site_id is not None else scope.site_ids,
        parts=[site_id, today],
        compute=render_lists,
    )


COMPARISON_COLUMNS = (
    ("headcount_end", "Headcount"),
    ("voluntary_separations", "Voluntary exits"),
    ("voluntary_turnover_rate_annualized", "Turnover, annualised %"),
    ("promotions", "Promotions"),
    ("median_months_to_promotion", "Median months to promotion"),
    ("stalled", "Stalled"),
    ("training_completion_rate", "Training completion %"),
    ("training_on_time_rate", "Training on time %"),
    ("ptcb_on_time_rate", "PTCB on time %"),
)


def _comparison_columns(sort: str, descending: bool) -> list[dict]:
    columns = []
    for field, label in (("site", "Site"), *COMPARISON_COLUMNS):
        active = field == sort
        next_dir = "asc" if active and descending else "desc"
        if field == "site" and not active:
            next_dir = "asc"
        columns.append(
            {
                "field": field,
                "label": label,
                "active": active,
                "aria_sort": ("descending" if descending else "ascending") if active else None,
                "query": f"?sort={field}&dir={next_dir}#comparison",
            }
        )
    return columns


@login_required
@require_POST
def recompute(request):
    """Queue a recompute of the 12 months shown, for the viewer's scope."""
    _require_dashboard_role(request)
    today = timezone.localdate()
    site = _site_filter_post(request)
    if site is not None:
        site_ids = [site.pk]
    else:
        site_ids = viewer_site_ids(request.user)  # None for hr and admin: every site and the org
    run = services.kpi_recompute_start(
        requested_by=request.user, months=selectors.trend_months(today=today), site_ids=site_ids
    )
    if request.headers.get("HX-Request"):
        return _render_status(request, run)
    url = reverse("dashboard") + (f"?site={site.pk}" if site else "")
    return redirect(url)


def _site_filter_post(request):
    return _site_in_scope(request, request.POST.get("site"))


def _render_status(request, run: KpiRun | None) -> HttpResponse:
    progress = services.kpi_run_progress(run=run) if run else None
    response = render(request, "metrics/_recompute_status.html", {"run": run, "run_progress": progress})
    if request.headers.get("HX-Request") and progress and progress["status"] == KpiRun.Status.DONE:
        response["HX-Refresh"] = "true"  # the new figures are in: htmx reloads the dashboard
    return response


@login_required
@require_GET
def recompute_status(request):
    """The progress fragment the dashboard polls (``?run=ID``; the latest run when omitted).
    A run asked for by someone else is not found."""
    _require_dashboard_role(request)
    runs = KpiRun.objects.filter(requested_by=request.user).order_by("-created_at")
    raw = request.GET.get("run") or ""
    if raw:
        if not raw.isdigit():
            raise Http404
        runs = runs.filter(pk=int(raw))
    return _render_status(request, runs.first())


# ---- reports (hr) ---------------------------------------------------------------------------------


def _report(request):
    """The report's rows for the period in the form: the organisation first, then every site."""
    form = ReportForm.from_query(request.GET, viewer=request.user, today=timezone.localdate())
    if not form.is_valid():
        return form, None
    start, end, site = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data.get("site")
    sites = {s.pk: s for s in selectors.sites_in_scope(viewer=request.user).only("id", "code", "name")}
    rows = []
    if site is None:
        rows.append({"scope": "Organisation", "site": None, **kpis.compute_kpis_cached(start=start, end=end)})
    by_site = kpis.kpis_by_site_cached(start=start, end=end, site_ids=[site.pk] if site else None)
    for site_id in sorted(by_site, key=lambda pk: sites[pk].code if pk in sites else ""):
        if site_id in sites:
            rows.append({"scope": "Site", "site": sites[site_id], **by_site[site_id]})
    return form, {"start": start, "end": end, "site": site, "rows": rows}


def _with_cells(rows: list[dict]) -> list[dict]:
    """The KPIs of ``rows`` as the report shows them (only for the rows shown: a page of a
    ten-thousand-site report formats its 51 rows, not every site's)."""
    for row in rows:
        row["cells"] = [_cell(name, row[name]) for name in kpis.KPI_FIELDS]
    return rows


def _cell(name: str, value) -> str:
    """A KPI as the report shows it: counts whole, rates and averages to one decimal."""
    if value is None:
        return "—"
    if name in kpis.COUNT_FIELDS:
        return str(value)
    return f"{value:.1f}"


def _turnover_methods() -> list[dict]:
    """The report's turnover columns with the method each uses (``kpis.TURNOVER_METHODS``)."""
    return [{"column": kpis.LABELS[name], **method} for name, method in kpis.TURNOVER_METHODS.items()]


@login_required
@require_GET
def report(request):
    _require_org_wide(request)
    form, result = _report(request)
    page = Paginator(result["rows"], 51).get_page(request.GET.get("page")) if result else None
    if page is not None:
        _with_cells(page.object_list)
    return render(
        request,
        "reports/report.html",
        {
            "form": form,
            "result": result,
            "page": page,
            "columns": [(name, kpis.LABELS[name]) for name in kpis.KPI_FIELDS],
            "turnover_methods": _turnover_methods(),
            "query": request.GET.urlencode(),
            "query_without_page": _without_page(request.GET),
        },
    )


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def report_print(request):
    _require_org_wide(request)
    form, result = _report(request)
    if result is None:
        return redirect(reverse("metrics:reports") + "?" + request.GET.urlencode())
    _with_cells(result["rows"])
    return render(
        request,
        "reports/print.html",
        {
            "result": result,
            "columns": [(name, kpis.LABELS[name]) for name in kpis.KPI_FIELDS],
            "turnover_methods": _turnover_methods(),
            "generated_at": timezone.now(),
        },
    )


@login_required
@require_GET
def report_csv(request):
    _require_org_wide(request)
    form, result = _report(request)
    if result is None:
        return redirect(reverse("metrics:reports") + "?" + request.GET.urlencode())
    return exports.csv_response(result)


@login_required
@require_GET
def report_xlsx(request):
    _require_org_wide(request)
    form, result = _report(request)
    if result is None:
        return redirect(reverse("metrics:reports") + "?" + request.GET.urlencode())
    return exports.xlsx_response(result)
