"""The reconciler: which snapshots should exist and do not, and queuing them (tasks run in
process here; tests/reliability/test_redis_outage.py runs it in a real worker).

Hand-worked example, "today" 2025-04-10:

| site | technicians | snapshots present |
| organisation | (all) | 2024-12, 2025-01, 2025-02, 2025-04 |
| A | Ann, hired 2025-01-15 (the earliest hire) | 2025-01, 2025-02, 2025-03, 2025-04 |
| B | Bea, hired 2025-03-01, left 2025-03-20 | 2025-02 |
| C | nobody, ever | 2025-01 |

Months that should exist: January to April 2025 (earliest hire to today's month), for the
organisation and the sites that have had a technician (A and B; C never had one). Missing:
the organisation's March (its December 2024 row is before the range and does not count),
and B's January, March and April. A is complete.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics import selectors, services
from metrics.models import KpiRun, KpiSnapshot
from tests.factories import SiteFactory, TechnicianFactory

D = dt.date
TODAY = D(2025, 4, 10)
JAN, FEB, MAR, APR = D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1), D(2025, 4, 1)


def present(site_id, *months):
    services.kpi_snapshots_compute(site_id=site_id, months=months, today=TODAY)


@pytest.fixture
def world(db):
    a, b, c = SiteFactory(code="A"), SiteFactory(code="B"), SiteFactory(code="C")
    TechnicianFactory(site=a, first_name="Ann", hire_date=D(2025, 1, 15))
    TechnicianFactory(
        site=b,
        first_name="Bea",
        hire_date=D(2025, 3, 1),
        status="terminated",
        termination_date=D(2025, 3, 20),
        termination_type="voluntary",
    )
    present(None, D(2024, 12, 1), JAN, FEB, APR)
    present(a.pk, JAN, FEB, MAR, APR)
    present(b.pk, FEB)
    present(c.pk, JAN)
    return {"a": a, "b": b, "c": c}


def test_missing_snapshots_by_hand(world, django_assert_num_queries):
    with django_assert_num_queries(4):
        missing = selectors.kpi_snapshots_missing(today=TODAY)

    assert missing == {None: [MAR], world["b"].pk: [JAN, MAR, APR]}


def test_the_query_count_does_not_grow_with_sites(world, django_assert_num_queries):
    more = [SiteFactory() for _ in range(6)]
    for site in more:
        TechnicianFactory(site=site, hire_date=D(2025, 2, 1))
    present(more[0].pk, JAN, FEB, MAR, APR)

    with django_assert_num_queries(4):
        missing = selectors.kpi_snapshots_missing(today=TODAY)

    assert missing == {
        None: [MAR],
        world["b"].pk: [JAN, MAR, APR],
        **{site.pk: [JAN, FEB, MAR, APR] for site in more[1:]},
    }


def test_nothing_is_missing_once_every_scope_is_complete(world, django_assert_num_queries):
    present(None, MAR)
    present(world["b"].pk, JAN, MAR, APR)

    with django_assert_num_queries(3):
        assert selectors.kpi_snapshots_missing(today=TODAY) == {}


def test_nothing_should_exist_before_the_first_hire(db):
    SiteFactory()
    assert selectors.kpi_snapshots_missing(today=TODAY) == {}
    TechnicianFactory(hire_date=D(2025, 5, 1))  # hired after "today"
    assert selectors.kpi_snapshots_missing(today=TODAY) == {}


def test_reconcile_queues_the_missing_snapshots_and_the_recomputes_not_queued(world):
    not_queued = KpiRun.objects.create(
        months=["2025-02"], site_ids=[world["a"].pk], status="failed", message=services.RECOMPUTE_NOT_QUEUED
    )
    too_old = KpiRun.objects.create(months=["2025-02"], site_ids=[world["a"].pk], status="failed")
    KpiRun.objects.filter(pk=too_old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    a_february = KpiSnapshot.objects.get(site=world["a"], month=FEB).computed_at

    summary = services.kpi_snapshots_reconcile(today=TODAY)  # tasks run in process in tests

    assert summary == services.ReconcileSummary(months=3, snapshots=4, runs=1)
    assert selectors.kpi_snapshots_missing(today=TODAY) == {}
    assert KpiSnapshot.objects.filter(site__isnull=True, month=MAR).count() == 1
    assert set(KpiSnapshot.objects.filter(site=world["b"]).values_list("month", flat=True)) == {JAN, FEB, MAR, APR}
    not_queued.refresh_from_db()
    assert (not_queued.status, not_queued.message) == ("queued", "")
    assert services.kpi_run_progress(run=not_queued)["status"] == "done"
    assert KpiSnapshot.objects.get(site=world["a"], month=FEB).computed_at > a_february  # recomputed
    too_old.refresh_from_db()
    assert too_old.status == "failed"  # a week old: left alone
    # A second round finds nothing to do.
    assert services.kpi_snapshots_reconcile(today=TODAY) == services.ReconcileSummary(months=0, snapshots=0, runs=0)


def test_the_reconciler_is_scheduled_hourly_in_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="metrics.tasks.kpi_snapshots_reconcile")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("40", "*", "*")
