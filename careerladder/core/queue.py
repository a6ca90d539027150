"""What the domain needs of the task queue, without importing the Celery application
(``careerladder/celery.py`` is configuration): the retry policy of every task that touches the
database, and whether the broker answers."""

from __future__ import annotations

import threading

from celery import current_app
from django.db import InterfaceError, OperationalError

# The options every task that touches the database takes: ``@shared_task(**DATABASE_RETRY)``.
# Transient database errors (a restart, a failover, a dropped connection) are retried after a
# random wait of up to 2, 4, 8 … seconds (capped at 5 minutes), at most 6 times;
# tests/reliability/test_task_policy.py checks every task of the project against it.
DATABASE_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


def broker_check(*, url: str | None = None, timeout: float = 1.0) -> tuple[bool, str]:
    """Whether the broker answers a ping within ``timeout`` seconds (wall clock), and why not.

    A Redis that is paused or behind a dead network path accepts the connection and then never
    answers: kombu's own ``timeout`` bounds the connection only, so the ping runs in a thread
    and an answer that does not come in time counts as down ("Timeout"). The thread ends by
    itself once the broker's socket timeout (``CELERY_REDIS_SOCKET_TIMEOUT``) passes."""
    outcome: list[tuple[bool, str]] = []

    def ping() -> None:
        try:
            with current_app.connection_for_write(url) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
                conn.default_channel.client.ping()
            outcome.append((True, "ok"))
        except Exception as exc:  # any transport error means "not available"
            outcome.append((False, exc.__class__.__name__))

    worker = threading.Thread(target=ping, name="broker-check", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return outcome[0] if outcome else (False, "Timeout")


def tasks_waiting() -> int:
    """Messages waiting in the default task queue (0 when tasks run in process). Raises the
    transport's error when the broker cannot be reached."""
    app = current_app
    if app.conf.task_always_eager or not app.conf.broker_url:
        return 0
    with app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(queue=app.conf.task_default_queue).message_count


def task(name: str):
    """The task registered as ``name`` (e.g. ``"metrics.tasks.kpi_snapshots_fan_out"``), to queue.

    A service queues its app's tasks through this instead of importing the app's ``tasks``
    module, which imports the services (tasks are thin: they load ids and call a service), so
    the two would import each other. Every app that has tasks imports them in its
    ``AppConfig.ready``, so the name is registered in every process, web or worker."""
    return current_app.tasks[name]
