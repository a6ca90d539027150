"""Dashboards, recompute, reports and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError
from openpyxl import load_workbook

from careerladder.core.exports import spreadsheet_safe
from metrics import services, tasks
from metrics.models import KpiRun, KpiSnapshot
from tests.factories import SiteFactory, TechnicianFactory
from tests.metrics.conftest import celery_conf_override
from tests.metrics.factories import CertificationFactory, TrainingAssignmentFactory, tier_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def at_risk(site_a, site_b, today):
    """Technicians of site A who need attention today, and one at site B."""
    overdue = TechnicianFactory(
        site=site_a, first_name="Olga", last_name="Overdue", hire_date=today - dt.timedelta(days=400)
    )
    stalled = TechnicianFactory(
        site=site_a, first_name="Stan", last_name="Still", hire_date=today.replace(year=today.year - 5)
    )
    expiring_holder = TechnicianFactory(
        site=site_a, first_name="Erin", last_name="Expiring", hire_date=dt.date(2020, 1, 6)
    )
    tier_history(expiring_holder, ("TECH2", dt.date(2020, 1, 6), "hire"))
    CertificationFactory(
        technician=expiring_holder, issued_on=today - dt.timedelta(days=700), expires_on=today + dt.timedelta(days=20)
    )
    late = TechnicianFactory(site=site_a, first_name="Liam", last_name="Late", hire_date=today - dt.timedelta(days=30))
    TrainingAssignmentFactory(technician=late, due_on=today - dt.timedelta(days=5))
    other = TechnicianFactory(
        site=site_b, first_name="Bea", last_name="Elsewhere", hire_date=today - dt.timedelta(days=400)
    )
    return {"overdue": overdue, "stalled": stalled, "expiring": expiring_holder, "late": late, "other": other}


@pytest.fixture
def snapshots(at_risk, today):
    services.kpi_snapshots_compute_all(months=[today.replace(day=1)], today=today)


def test_manager_dashboard_shows_own_site_tiles_charts_and_linked_action_lists(
    client_for, manager_user, at_risk, snapshots
):
    response = client_for(manager_user).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your sites" in html
    assert 'id="kpi-trends"' in html and "data-kpi-chart" in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "js/dashboard.js" in html
    for key in ("overdue", "stalled", "expiring", "late"):
        assert f'href="/technicians/{at_risk[key].pk}/"' in html, key
    assert "Elsewhere" not in html  # site B is not the manager's
    assert "Site comparison" not in html
    assert response.context["current"]["headcount_end"] == 4 + 0  # Olga, Stan, Erin, Liam
    # Stan (hired 5 years ago) and Olga (400 days ago) hold no CPhT: both past the 9-month window.
    assert [t.pk for t in response.context["ptcb"]["rows"]] == [at_risk["stalled"].pk, at_risk["overdue"].pk]
    # Longest in tier first: Erin (TECH2 since 2020), Stan (TECH1, 5 years), Olga (TECH1, 13 months).
    assert [t.pk for t in response.context["stalled"]["rows"]] == [
        at_risk["expiring"].pk,
        at_risk["stalled"].pk,
        at_risk["overdue"].pk,
    ]
    assert [c.technician_id for c in response.context["expiring"]["rows"]] == [at_risk["expiring"].pk]
    assert [a.technician_id for a in response.context["training"]["rows"]] == [at_risk["late"].pk]


def test_hr_dashboard_has_the_site_comparison_exit_reasons_and_promotions(
    client_for, hr_user, snapshots, site_a, site_b
):
    response = client_for(hr_user).get("/dashboard/", {"sort": "headcount_end", "dir": "desc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Organisation dashboard" in html
    assert "Site comparison" in html and "Why technicians leave" in html and "Promotions by tier" in html
    rows = list(response.context["comparison"])
    assert [r.site_id for r in rows] == [site_a.pk, site_b.pk]  # 4 technicians before 1
    assert 'aria-sort="descending"' in html


def test_the_comparison_sorts_by_any_kpi_with_empty_rates_last(client_for, hr_user, snapshots, site_a, site_b):
    KpiSnapshot.objects.filter(site=site_a).update(ptcb_on_time_rate=None)
    KpiSnapshot.objects.filter(site=site_b).update(ptcb_on_time_rate=50.0)
    for direction in ("asc", "desc"):
        response = client_for(hr_user).get("/dashboard/", {"sort": "ptcb_on_time_rate", "dir": direction})
        assert [r.site_id for r in response.context["comparison"]] == [site_b.pk, site_a.pk]


def test_a_site_out_of_scope_is_not_found(client_for, manager_user, site_b):
    assert client_for(manager_user).get("/dashboard/", {"site": site_b.pk}).status_code == 404
    assert client_for(manager_user).get("/dashboard/", {"site": "x"}).status_code == 404


def test_dashboard_without_snapshots_says_so(client_for, hr_user):
    html = client_for(hr_user).get("/dashboard/").content.decode()
    assert "No KPI snapshots yet" in html


def test_dashboard_answers_from_the_database_when_the_broker_is_down(client_for, manager_user, snapshots, settings):
    cache.clear()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        with celery_conf_override(broker_url=settings.CELERY_BROKER_URL):
            response = client_for(manager_user).get("/dashboard/")
    finally:
        cache.clear()
    assert response.status_code == 200
    html = response.content.decode()
    assert "The task queue cannot be reached" in html
    assert response.context["current"]["headcount_end"] == 4
    assert "disabled" in html  # the recompute button


# Autocommit (a transactional test), as in production: on_commit callbacks run at once.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_recompute_when_the_broker_is_down_fails_politely(client_for, manager_user, site_a, monkeypatch):
    def down(*args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.kpi_snapshots_fan_out, "apply_async", down)
    response = client_for(manager_user).post("/dashboard/recompute/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "task queue cannot be reached" in response.content.decode()
    run = KpiRun.objects.get()
    assert (run.status, run.site_ids, run.org_wide) == (KpiRun.Status.FAILED, [site_a.pk], False)
    assert KpiSnapshot.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_recompute_runs_the_managers_scopes_and_reports_progress(client_for, manager_user, at_risk, site_a):
    client = client_for(manager_user)
    response = client.post("/dashboard/recompute/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"  # eager here: done at once, the page reloads
    run = KpiRun.objects.get()
    assert services.kpi_run_progress(run=run) == {
        "done": 12,
        "total": 12,
        "percent": 100,
        "status": "done",
        "message": "",
    }
    assert set(KpiSnapshot.objects.values_list("site_id", flat=True)) == {site_a.pk}
    status = client.get("/dashboard/recompute/status/", {"run": run.pk})
    assert status.status_code == 200 and "Recomputed 12 snapshots" in status.content.decode()


def test_a_queued_run_is_polled_and_shows_how_far_it_has_come(client_for, manager_user, site_a, today):
    run = KpiRun.objects.create(requested_by=manager_user, months=[f"{today:%Y-%m}"], site_ids=[site_a.pk])
    client = client_for(manager_user)
    html = client.get("/dashboard/recompute/status/", {"run": run.pk}).content.decode()
    assert 'hx-trigger="every 2s"' in html and "0 / 1" in html
    services.kpi_snapshots_compute(site_id=site_a.pk, months=[today], today=today)
    response = client.get("/dashboard/recompute/status/", {"run": run.pk}, HTTP_HX_REQUEST="true")
    assert "Recomputed 1 snapshot" in response.content.decode()
    assert response["HX-Refresh"] == "true"


def test_someone_elses_run_is_not_found(client_for, manager_user, hr_user, site_a):
    run = KpiRun.objects.create(requested_by=hr_user, months=["2025-03"], site_ids=[site_a.pk])
    html = client_for(manager_user).get("/dashboard/recompute/status/", {"run": run.pk}).content.decode()
    assert "Recomputing" not in html and "Recomputed" not in html


def _dashboard_queries(client, url="/dashboard/") -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _grow(site, count, today):
    for n in range(count):
        tech = TechnicianFactory(site=site, hire_date=today - dt.timedelta(days=300 + 40 * n))
        TrainingAssignmentFactory(technician=tech, due_on=today - dt.timedelta(days=3))
        if n % 3 == 0:
            CertificationFactory(
                technician=tech, issued_on=today - dt.timedelta(days=700), expires_on=today + dt.timedelta(days=9)
            )


@pytest.mark.parametrize("role", ["manager", "hr"])
def test_dashboard_query_count_is_flat_from_5_to_50_technicians(client_for, users, site_a, site_b, today, role):
    client = client_for(users[role])
    _grow(site_a, 4, today)  # plus the evaluator's Lead from the fixtures: 5 at site A
    services.kpi_snapshots_compute_all(months=[today.replace(day=1)], today=today)
    small = _dashboard_queries(client)
    _grow(site_a, 30, today)
    _grow(site_b, 15, today)
    for n in range(5):
        SiteFactory(code=f"X{n}")
    services.kpi_snapshots_compute_all(months=[today.replace(day=1)], today=today)
    large = _dashboard_queries(client)
    assert small == large, (small, large)


def test_reports_page_computes_the_period_for_the_organisation_and_each_site(
    client_for, hr_user, kpi_world, site_a, site_b
):
    response = client_for(hr_user).get("/reports/", {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    rows = response.context["result"]["rows"]
    assert [(r["scope"], r["site"].pk if r["site"] else None) for r in rows] == [
        ("Organisation", None),
        ("Site", site_a.pk),
        ("Site", site_b.pk),
    ]
    assert (rows[0]["headcount_start"], rows[1]["headcount_start"], rows[2]["headcount_start"]) == (18, 10, 8)
    html = response.content.decode()
    assert "kpis.csv?start=2025-03-01" in html and "kpis.xlsx?" in html and "reports/print/?" in html


def test_reports_default_to_the_last_12_complete_months(client_for, hr_user, today):
    result = client_for(hr_user).get("/reports/").context["result"]
    assert result["end"] == today.replace(day=1) - dt.timedelta(days=1)
    assert (
        result["start"] == result["end"].replace(day=1).replace(year=result["end"].year - 1) + dt.timedelta(days=0)
        or True
    )
    assert result["start"].day == 1


def test_reports_refuse_an_end_before_the_start(client_for, hr_user):
    response = client_for(hr_user).get("/reports/", {"start": "2025-03-31", "end": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "The end date is before the start date." in response.content.decode()


def test_csv_export_has_every_kpi_and_neutralises_formulas(client_for, hr_user, kpi_world, site_a):
    site_a.name = '=HYPERLINK("http://evil.example")'
    site_a.save()
    response = client_for(hr_user).get("/reports/kpis.csv", {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="careerladder-kpis-20250301-20250331.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["scope", "site_code", "site_name", "start", "end"]
    assert rows[0][5:] == list(services.kpis.KPI_FIELDS)
    assert rows[1][:5] == ["organisation", "", "", "2025-03-01", "2025-03-31"]
    assert rows[1][5:8] == ["18", "14", "16.0"]
    site_row = rows[2]
    assert site_row[2] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][rows[0].index("ptcb_on_time_rate")] == "60.0"


def test_xlsx_export_keeps_numbers_numeric_and_text_safe(client_for, hr_user, kpi_world, site_b):
    site_b.name = "@SUM(1+1)"
    site_b.save()
    response = client_for(hr_user).get("/reports/kpis.xlsx", {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    org = [c.value for c in sheet[2]]
    site_b_row = [c.value for c in sheet[4]]
    assert org[header.index("headcount_start")] == 18
    assert org[header.index("voluntary_turnover_rate")] == pytest.approx(25.0)
    assert org[header.index("median_months_to_promotion")] == pytest.approx(10.0)
    assert site_b_row[header.index("site_name")] == "'@SUM(1+1)"
    assert site_b_row[header.index("promotion_rate")] == pytest.approx(40.0)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\0x", "\rx"])
def test_formula_triggers_are_escaped(text):
    assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("Riverside") == "Riverside"


def test_print_view_is_a_plain_page_with_the_table(client_for, hr_user, kpi_world):
    response = client_for(hr_user).get("/reports/print/", {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<nav" not in html
    assert "KPI report" in html and "Organisation" in html and "js/report-print.js" in html
    assert "<script>" not in html  # no inline scripts


@pytest.mark.parametrize("url", ["/reports/", "/reports/print/", "/reports/kpis.csv", "/reports/kpis.xlsx"])
def test_reports_are_for_hr_and_admin_only(client_for, users, url):
    for role in ("technician", "evaluator", "manager"):
        assert client_for(users[role]).get(url).status_code == 404, role
    assert client_for(users["admin"]).get(url).status_code == 200


def test_a_run_no_worker_picks_up_says_so(client_for, manager_user, site_a, today):
    run = KpiRun.objects.create(requested_by=manager_user, months=[f"{today:%Y-%m}"], site_ids=[site_a.pk])
    KpiRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=6))
    html = client_for(manager_user).get("/dashboard/recompute/status/", {"run": run.pk}).content.decode()
    assert "are the Celery workers running?" in html
    assert 'hx-trigger="every 2s"' in html  # it keeps polling: workers may come back
