"""Fixtures of the fault tests: a private Redis, Celery workers, and the web side pointed at them.

Every test here that involves a worker runs as a transactional test (rows are committed, so
the worker's own connection sees them) with serialized rollback (the flush at its end would
otherwise also remove the tier ladder and the other rows data migrations seed). Everything
started is stopped at teardown, before pytest-django flushes the database.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.metrics.conftest import celery_conf_override, kpi_world  # noqa: F401  (kpi_world: a fixture)
from tests.reliability.processes import CeleryWorker, RedisServer, require_postgres


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/reliability/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def start_worker(tmp_path, redis_server):
    """``start_worker(**faults)`` starts a worker on ``redis_server``; all are stopped at the end."""
    require_postgres()
    workers: list[CeleryWorker] = []

    def start(**faults: str) -> CeleryWorker:
        worker = CeleryWorker(redis_server, tmp_path / f"worker{len(workers)}", **faults)
        workers.append(worker)
        return worker.start()

    try:
        yield start
    finally:
        for worker in workers:
            worker.kill()


@pytest.fixture
def web_uses(redis_server, settings):
    """The web side (this process) queues tasks on ``redis_server`` instead of running them in
    process, as it does in production."""
    settings.CELERY_BROKER_URL = redis_server.url(0)
    cache.clear()  # the dashboard's cached "broker available" answer
    with celery_conf_override(
        task_always_eager=False, broker_url=redis_server.url(0), result_backend=redis_server.url(1)
    ) as app:
        _forget_connections(app)
        try:
            yield app
        finally:
            _forget_connections(app)
            cache.clear()


def _forget_connections(app) -> None:
    """Forget the app's broker connection pools (as Celery does after a fork), so that the next
    task is published to the broker configured now, not to an earlier test's Redis. The pools
    themselves stay open: kombu shares them per broker URL with whoever else uses that URL."""
    app._pool = None
    app.amqp._producer_pool = None
