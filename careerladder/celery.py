"""The Celery application: ``celery -A careerladder worker`` / ``celery -A careerladder beat``.

Delivery guarantees (settings ``CELERY_*`` in ``careerladder/settings/base.py``; the fault
tests in ``tests/reliability/`` exercise each one against a real Redis and worker):

- Tasks are acknowledged late and rejected back to the queue when their worker process dies
  (``task_reject_on_worker_lost``), with one message prefetched per process, so a worker
  killed mid-task loses nothing: the pool's master re-queues the task at once when a child
  dies; when the whole worker dies, Redis hands its unacknowledged messages to another
  worker after the visibility timeout (``CELERY_VISIBILITY_TIMEOUT``).
- Soft and hard time limits stop a runaway task; a task stopped that way is not retried (it
  would time out again), and the periodic reconciler (``metrics.tasks.kpi_snapshots_reconcile``)
  queues again whatever it left undone.
- Every task that touches the database (``careerladder.core.queue.DATABASE_RETRY``) retries on ``OperationalError``/``InterfaceError`` with
  exponential backoff and jitter, and is idempotent, so a second delivery changes nothing.
"""

import os

from celery import Celery
from django.core import checks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")

app = Celery("careerladder")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@checks.register(checks.Tags.compatibility)
def visibility_timeout_outlasts_tasks(app_configs=None, **kwargs):
    """careerladder.W001: a visibility timeout shorter than the hard time limit lets Redis give
    a task that is still running to a second worker."""
    from django.conf import settings

    visibility = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("visibility_timeout")
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None)
    if not getattr(settings, "CELERY_BROKER_URL", "") or visibility is None or limit is None:
        return []
    if visibility <= limit:
        return [
            checks.Warning(
                f"CELERY_VISIBILITY_TIMEOUT ({visibility} s) is not longer than CELERY_TASK_TIME_LIMIT ({limit} s).",
                hint="Raise CELERY_VISIBILITY_TIMEOUT above the longest task, or Redis re-delivers running tasks.",
                id="careerladder.W001",
            )
        ]
    return []


@checks.register(checks.Tags.caches)
def cache_shared_between_processes(app_configs=None, **kwargs):
    """careerladder.W002: with a broker there is more than one process (web and Celery
    workers), and a per-process memory cache would not see the data versions other processes
    move on (careerladder/core/versions.py): their cached pages would stay stale for up to
    CACHED_READ_SECONDS."""
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"]
    if not getattr(settings, "CELERY_BROKER_URL", "") or getattr(settings, "CACHED_READ_SECONDS", 0) <= 0:
        return []
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "Several processes run (a task broker is configured) but the cache is each process's own memory.",
                hint="Set CACHE_URL to a cache they share, e.g. redis://host:6379/2 (or CACHED_READ_SECONDS=0).",
                id="careerladder.W002",
            )
        ]
    return []
