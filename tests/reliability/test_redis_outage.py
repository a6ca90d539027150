"""Redis stopped: the pages keep answering, nothing that queues work fails, and the work runs
once Redis is back. Redis restarted: the tasks waiting in it are still there (append-only file).

Small world: one technician (hired 2024-01-15) at site A, so the snapshots that should exist
are the organisation's and site A's for every month from January 2024 to the current month.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from metrics import selectors, services, tasks
from metrics.models import KpiRun, KpiSnapshot
from tests.reliability.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

D = dt.date


def months_since_january_2024(today: dt.date) -> int:
    return (today.year - 2024) * 12 + today.month


def run_finished(run: KpiRun) -> bool:
    run.refresh_from_db()
    return services.kpi_run_progress(run=run)["status"] == KpiRun.Status.DONE


def test_pages_answer_while_redis_is_down_and_the_work_runs_once_it_is_back(
    redis_server, start_worker, web_uses, client_for, technician_user, manager_user, hr_user, site_a
):
    start_worker()
    redis_server.stop()

    dashboard = client_for(manager_user).get("/dashboard/")
    me = client_for(technician_user).get("/me/")
    health = client_for(None).get("/health/")
    recompute = client_for(hr_user).post("/dashboard/recompute/", HTTP_HX_REQUEST="true")
    services.kpi_snapshots_enqueue(months=[D(2025, 2, 1)], site_ids=[site_a.pk])  # as an import does

    assert dashboard.status_code == 200
    assert "The task queue cannot be reached." in dashboard.content.decode()
    assert me.status_code == 200
    assert (health.status_code, health.json()["status"], health.json()["database"]) == (200, "degraded", "ok")
    assert health.json()["broker"] == "unavailable (OperationalError)"
    assert recompute.status_code == 200
    assert services.RECOMPUTE_NOT_QUEUED in recompute.content.decode()
    dashboard_run = KpiRun.objects.get(requested_by=hr_user)
    import_run = KpiRun.objects.get(requested_by=None)
    assert (dashboard_run.status, dashboard_run.org_wide, dashboard_run.site_ids) == ("failed", True, [site_a.pk])
    assert (import_run.status, import_run.org_wide, import_run.months, import_run.site_ids) == (
        "failed",
        False,
        ["2025-02"],
        [site_a.pk],
    )
    assert KpiSnapshot.objects.count() == 0

    redis_server.start()
    assert client_for(None).get("/health/").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "in-process",
        "broker": "ok",
    }
    tasks.kpi_snapshots_reconcile.delay()  # what beat sends every hour

    today = timezone.localdate()
    wait_for(
        lambda: (
            run_finished(dashboard_run)
            and run_finished(import_run)
            and not selectors.kpi_snapshots_missing(today=today)
        ),
        timeout=60,
        what="the reconciler's work and both recomputes",
    )
    # Organisation and site A, every month since the first hire, each exactly once.
    assert KpiSnapshot.objects.count() == 2 * months_since_january_2024(today)
    per_pair = KpiSnapshot.objects.values("site_id", "month").annotate(rows=Count("id"))
    assert {row["rows"] for row in per_pair} == {1}
    assert set(KpiSnapshot.objects.values_list("site_id", flat=True).distinct()) == {None, site_a.pk}


def test_tasks_queued_before_a_redis_restart_still_run(redis_server, start_worker, web_uses, tech_a, site_a):
    services.kpi_snapshots_enqueue(months=[D(2025, 2, 1), D(2025, 3, 1)], site_ids=[site_a.pk])
    assert redis_server.client().llen("celery") == 1  # no worker yet: the fan-out task waits

    redis_server.stop()
    redis_server.start()  # same port and directory: Redis replays its append-only file

    assert redis_server.client().llen("celery") == 1
    start_worker()
    wait_for(lambda: KpiSnapshot.objects.count() == 2, timeout=45, what="the two snapshots")
    assert set(KpiSnapshot.objects.values_list("site_id", "month")) == {
        (site_a.pk, D(2025, 2, 1)),
        (site_a.pk, D(2025, 3, 1)),
    }


def test_the_reconciler_waits_while_earlier_tasks_are_still_queued(redis_server, web_uses, tech_a, site_a):
    services.kpi_snapshots_enqueue(months=[D(2025, 2, 1)], site_ids=[site_a.pk])  # no worker: it waits

    summary = services.kpi_snapshots_reconcile(today=D(2025, 4, 10))

    assert summary == services.ReconcileSummary(months=0, snapshots=0, runs=0, skipped=True)
    assert redis_server.client().llen("celery") == 1  # nothing added behind it
