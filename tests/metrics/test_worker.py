"""The snapshot tasks in a real Celery worker against Redis (CI: REDIS_URL=redis://127.0.0.1:6379/15).

Without REDIS_URL the test is skipped with the reason; with REQUIRE_SERVICES set (CI) a missing
or unreachable Redis fails it instead, so CI can never pass without having run it.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.db import connections

from metrics import services
from metrics.models import KpiSnapshot
from tests.metrics.conftest import EXPECTED_A, EXPECTED_B, EXPECTED_ORG, assert_kpis, celery_conf_override

REDIS_URL = os.environ.get("REDIS_URL", "")
REQUIRE_SERVICES = bool(os.environ.get("REQUIRE_SERVICES"))


def _redis_or_skip() -> str:
    if not REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES is set but REDIS_URL is not.")
        pytest.skip("Set REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run the Celery worker test.")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES is set but Redis at {REDIS_URL} is unreachable: {exc!r}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc!r}")
    return REDIS_URL


@pytest.fixture
def real_celery():
    url = _redis_or_skip()
    with celery_conf_override(task_always_eager=False, broker_url=url, result_backend=url) as app:
        yield app


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_materialises_every_scope(real_celery, kpi_world, site_a, site_b):
    from celery.contrib.testing.worker import start_worker

    with start_worker(real_celery, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        services.kpi_snapshots_enqueue(months=[dt.date(2025, 3, 1)])  # on_commit: runs at once here
        deadline = time.monotonic() + 60
        while KpiSnapshot.objects.count() < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    for alias in connections:
        connections[alias].close()
    assert KpiSnapshot.objects.count() == 3
    snapshots = {s.site_id: s for s in KpiSnapshot.objects.all()}
    fields = lambda s: {f.name: getattr(s, f.attname) for f in KpiSnapshot._meta.concrete_fields}  # noqa: E731
    assert_kpis(fields(snapshots[None]), EXPECTED_ORG)
    assert_kpis(fields(snapshots[site_a.pk]), EXPECTED_A)
    assert_kpis(fields(snapshots[site_b.pk]), EXPECTED_B)
