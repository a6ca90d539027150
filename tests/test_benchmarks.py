"""Smoke test of the benchmark (``make bench``) at a tiny scale, so its code cannot rot: the
generator's rows and the runner's measurements and report. Structure and counts only, never
timings. The Celery backfill and the gunicorn/locust load are left to ``make bench`` itself
(they need Redis and free ports)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from benchmarks import run
from benchmarks.generate import BENCH_PASSWORD, MATRIX_SITE_POSITIONS, generate
from metrics import services
from metrics.models import KpiSnapshot
from technicians.models import Site, Technician, User
from tiers.models import TierAssignment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="The generator writes with Postgres COPY."),
]
TODAY = dt.date(2026, 6, 15)


def _generate():
    return generate(technicians=90, sites=3, years=2, seed=7, today=TODAY, log=lambda message: None)


def test_the_generator_writes_a_consistent_organisation():
    summary = _generate()
    assert Site.objects.count() == 3
    assert Technician.objects.count() == summary["technician_records"]
    employed = Technician.objects.filter(termination_date__isnull=True)
    assert employed.count() == summary["employed"]
    # Site S00001 keeps exactly 50 technicians employed (the training-matrix page).
    assert employed.filter(site__code="S00001").count() == MATRIX_SITE_POSITIONS
    # Leavers were replaced: more records than positions, every leaver with a type.
    leavers = Technician.objects.filter(status=Technician.Status.TERMINATED)
    assert summary["technician_records"] > 90
    assert not leavers.filter(termination_type="").exists()
    # One open tier assignment per technician, starting on the hire date at the earliest.
    assert TierAssignment.objects.filter(end_date__isnull=True).count() == summary["technician_records"]
    # Logins: hr, the technician, a manager and an evaluator per site, password usable.
    assert User.objects.count() == 2 + 2 * 3
    tech_login = User.objects.get(username="bench-tech")
    assert tech_login.technician_id == summary["rich_technician"]
    assert tech_login.check_password(BENCH_PASSWORD)
    assert User.objects.get(username="mgr00002").sites.get().code == "S00002"
    # Every table the summary names holds the rows it reports.
    with connection.cursor() as cursor:
        for table, count in summary["rows"].items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - names from the generator
            assert cursor.fetchone()[0] == count, table


def test_the_generator_is_deterministic():
    first = _generate()
    names = list(Technician.objects.order_by("pk").values_list("last_name", "hire_date", "termination_date"))
    second = _generate()
    assert second["rows"] == first["rows"]
    assert list(Technician.objects.order_by("pk").values_list("last_name", "hire_date", "termination_date")) == names


def test_the_runner_measures_every_page_and_reports_them(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    summary = _generate()
    assert services.kpi_snapshots_compute_month(month=TODAY, today=TODAY) == 3 + 1
    assert KpiSnapshot.objects.filter(month=TODAY.replace(day=1)).count() == 4

    times, queries, pages = run.measure_pages(repeat=1)
    keys = ["floor", "dashboard", "me", "matrix", "api_technicians", "api_kpis"]
    assert [page["key"] for page in pages] == keys
    every = set(keys) | {f"{key}_cold" for key in keys}
    assert set(times) == set(queries) == every
    assert all(count > 0 for count in queries.values())
    # A reload serves the cached parts: fewer queries than the first request after a write.
    for key in ("dashboard", "me", "matrix", "api_kpis"):
        assert queries[key] < queries[f"{key}_cold"], key
    assert run.database_floor_ms(repeat=1) > 0

    results = {
        "date": "2026-06-15",
        "scale": {"technicians": 90, "sites": 3, "years": 2, "seed": 7, "small_technicians": 60, "small_sites": 2},
        "command": "make bench",
        "machine": run.machine(),
        "generated": summary,
        "times": times,
        "queries": queries,
        "queries_small": dict(queries),
        "pages": [{"key": p["key"], "name": p["name"], "url": p["url"]} for p in pages],
        "db_floor_ms": 100.0,
        "jobs": {"months": 25, "scopes": 4, "backfill_s": 3.0, "nightly_s": 0.2},
        "load": {"requests": 100, "errors": 0, "rps": 10.0, "p50_ms": 50.0, "p95_ms": 90.0, "users": 2},
    }
    results["load"].update(workers=2, seconds=5)
    rows = run.build_rows(results)
    by_key = {row["key"]: row for row in rows}
    assert by_key["nightly"]["met"] is True  # 0.2 s against a 0.1 s floor: 2×
    assert by_key["backfill"]["met"] is True
    assert all(
        by_key[f"queries:{p['key']}"]["met"] and by_key[f"queries:{p['key']}_cold"]["met"] for p in results["pages"]
    )
    text = run.render(results, baseline=results)
    assert "| measure | before | value | floor | ratio | target | met |" in text
    assert "### Query counts (large / small)" in text
    # Its time and query count, each on a reload and on the first request after a write.
    assert text.count("Technician /me/") == 4
