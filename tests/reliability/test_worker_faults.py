"""A KPI backfill survives a Celery worker killed in the middle of it, and a dropped database
connection: every snapshot ends up written exactly once, with the right figures.

The backfill is four months (January to April 2025) for the organisation and the two sites of
``kpi_world`` (the hand-worked data set of tests/metrics), queued as after an import
(``services.kpi_snapshots_enqueue``): a fan-out task, then the tasks that write the twelve
snapshots. March 2025's figures must be the ones worked out by hand in
tests/metrics/conftest.py; the other months must equal a synchronous computation of the same
period.

How the kill is placed: the worker (tests/reliability/worker_main.py) makes each task that
writes snapshots leave a mark and wait 1.5 s, before its work or after it (committed but not
yet acknowledged). The test kills as soon as the second such task has left its mark.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.db.models import Count
from django.utils import timezone

from metrics import kpis, services
from metrics.models import KpiSnapshot
from tests.metrics.conftest import EXPECTED_A, EXPECTED_B, EXPECTED_ORG, assert_kpis
from tests.reliability.processes import VISIBILITY_TIMEOUT, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

D = dt.date
BACKFILL = [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1), D(2025, 4, 1)]
TASK_DELAY = "1.5"


def marks(directory) -> list[tuple[int, str]]:
    """(pid, task id) of every snapshot-writing task that reached its pause, in order."""
    names = sorted(path.name for path in directory.iterdir())
    return [(int(pid), task_id) for _, pid, task_id in (name.split("-", 2) for name in names)]


def written() -> set[tuple[int | None, dt.date]]:
    return set(KpiSnapshot.objects.values_list("site_id", "month"))


def expected_pairs(site_a, site_b) -> set[tuple[int | None, dt.date]]:
    return {(scope, month) for scope in (None, site_a.pk, site_b.pk) for month in BACKFILL}


def as_fields(snapshot: KpiSnapshot) -> dict:
    return {name: getattr(snapshot, name) for name in kpis.KPI_FIELDS}


def assert_backfill_correct(site_a, site_b) -> None:
    """Twelve snapshots, one per scope and month, each with the figures of its period."""
    per_pair = KpiSnapshot.objects.values("site_id", "month").annotate(rows=Count("id"))
    assert {row["rows"] for row in per_pair} == {1}
    assert written() == expected_pairs(site_a, site_b)
    today = timezone.localdate()
    for snapshot in KpiSnapshot.objects.all():
        start, end = kpis.month_period(snapshot.month, today=today)
        assert (snapshot.period_start, snapshot.period_end) == (start, end)
        assert_kpis(as_fields(snapshot), kpis.compute_kpis(start=start, end=end, site_id=snapshot.site_id))
    march = {s.site_id: as_fields(s) for s in KpiSnapshot.objects.filter(month=D(2025, 3, 1))}
    assert_kpis(march[None], EXPECTED_ORG)
    assert_kpis(march[site_a.pk], EXPECTED_A)
    assert_kpis(march[site_b.pk], EXPECTED_B)


def test_a_worker_killed_mid_backfill_finishes_it_after_a_restart(
    tmp_path, redis_server, start_worker, web_uses, kpi_world, site_a, site_b
):
    mark_dir = tmp_path / "marks"
    mark_dir.mkdir()
    worker = start_worker(RELIABILITY_MARK_DIR=str(mark_dir), RELIABILITY_TASK_DELAY=TASK_DELAY)

    services.kpi_snapshots_enqueue(months=BACKFILL)  # autocommit: queued at once
    wait_for(
        lambda: len(marks(mark_dir)) >= 2,
        timeout=45,
        what="the second snapshot task to start",
        context=worker.output,
    )
    worker.kill()  # SIGKILL to the main process and its pool process: a crash, no goodbye to Redis
    killed_at = time.monotonic()

    before = {(s.site_id, s.month): s.computed_at for s in KpiSnapshot.objects.all()}
    assert 0 < len(before) < 12  # the first task's rows only: the backfill was cut in the middle
    # The second task's message was taken but never acknowledged: Redis still holds it.
    assert redis_server.client().hlen("unacked") == 1

    # Redis hands unacknowledged messages to a worker once the visibility timeout has passed;
    # a worker looks for them when it starts.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
    restarted = start_worker()
    wait_for(
        lambda: len(written()) == 12,
        timeout=45,
        what="the twelve snapshots after the restart",
        context=restarted.output,
    )

    assert_backfill_correct(site_a, site_b)
    # The first task had been acknowledged: it was not run a second time.
    after = {(s.site_id, s.month): s.computed_at for s in KpiSnapshot.objects.all()}
    assert {key: after[key] for key in before} == before
    wait_for(lambda: redis_server.client().hlen("unacked") == 0, timeout=10, what="every message acknowledged")


def test_a_pool_process_killed_before_its_acknowledgement_is_replaced_and_the_task_run_again(
    tmp_path, start_worker, web_uses, kpi_world, site_a, site_b
):
    mark_dir = tmp_path / "marks"
    mark_dir.mkdir()
    worker = start_worker(
        RELIABILITY_MARK_DIR=str(mark_dir), RELIABILITY_TASK_DELAY=TASK_DELAY, RELIABILITY_PAUSE_AT="end"
    )

    services.kpi_snapshots_enqueue(months=BACKFILL)
    wait_for(
        lambda: len(marks(mark_dir)) >= 2,
        timeout=45,
        what="the second snapshot task to finish its work",
        context=worker.output,
    )
    child_pid, task_id = marks(mark_dir)[1]
    os.kill(child_pid, signal.SIGKILL)  # the pool process dies after committing, before the ack

    # The main process rejects the lost task back to the queue (task_reject_on_worker_lost) and
    # forks a new pool process, which runs it again: no restart, and the second run upserts the
    # rows the first one wrote instead of adding to them.
    wait_for(
        lambda: [t for _, t in marks(mark_dir)].count(task_id) == 2 and len(written()) == 12,
        timeout=45,
        what="the killed task to run again and the backfill to finish",
        context=worker.output,
    )
    assert worker.alive()
    assert "WorkerLostError" in worker.output()
    first_run, second_run = [pid for pid, t in marks(mark_dir) if t == task_id]
    assert (first_run, second_run != child_pid) == (child_pid, True)  # run again by the new process
    assert_backfill_correct(site_a, site_b)


def test_a_dropped_database_connection_is_retried_with_backoff(
    tmp_path, start_worker, web_uses, kpi_world, site_a, site_b
):
    dropped = tmp_path / "dropped"
    worker = start_worker(RELIABILITY_DROP_CONNECTION_ONCE=str(dropped))

    services.kpi_snapshots_enqueue(months=BACKFILL)
    wait_for(lambda: len(written()) == 12, timeout=45, what="the twelve snapshots", context=worker.output)

    assert dropped.exists()  # the server did terminate the connection of the first snapshot task
    log = worker.output()
    assert "retry: Retry in" in log and "OperationalError" in log
    assert_backfill_correct(site_a, site_b)
