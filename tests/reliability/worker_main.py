"""A Celery worker for the fault tests: ``python -m tests.reliability.worker_main worker -c 1 ...``.

It is the project's worker (``careerladder.celery.app.worker_main``) with test-only faults,
switched on by environment variables. They wrap the body of every task that writes KPI
snapshots (``metrics.tasks.kpi_snapshots_*`` except the fan-out, nightly and reconciler
entries, whatever way the backfill is split into tasks), inside Celery's automatic-retry
wrapper, and are installed in the main process before the pool forks, so every pool process
has them:

- ``RELIABILITY_MARK_DIR`` + ``RELIABILITY_TASK_DELAY`` + ``RELIABILITY_PAUSE_AT``: the task
  leaves a file ``<ns>-<pid>-<task id>`` in the directory and sleeps that many seconds, either
  before its work (``start``, the default) or after it has committed its rows and before it is
  acknowledged (``end``). The test sees which process is where, and kills it there.
- ``RELIABILITY_DROP_CONNECTION_ONCE`` (a file path): the first such task has its Postgres
  connection terminated by the server (``pg_terminate_backend``) as it starts, as a database
  restart or failover would; the driver raises ``OperationalError`` inside the task.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

NOT_WRITERS = (
    "metrics.tasks.kpi_snapshots_fan_out",
    "metrics.tasks.kpi_snapshots_nightly",
    "metrics.tasks.kpi_snapshots_reconcile",
)


def _install_faults(app) -> None:
    from django.db import connection

    mark_dir = os.environ.get("RELIABILITY_MARK_DIR")
    delay = float(os.environ.get("RELIABILITY_TASK_DELAY") or 0)
    pause_at = os.environ.get("RELIABILITY_PAUSE_AT") or "start"
    drop_once = os.environ.get("RELIABILITY_DROP_CONNECTION_ONCE")

    def pause(task) -> None:
        if mark_dir:
            Path(mark_dir, f"{time.monotonic_ns()}-{os.getpid()}-{task.request.id}").touch()
        if delay:
            time.sleep(delay)

    def faulty(task, body):
        def run(*args, **kwargs):
            if drop_once and not Path(drop_once).exists():
                Path(drop_once).touch()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            if pause_at == "start":
                pause(task)
            result = body(*args, **kwargs)
            if pause_at == "end":
                pause(task)
            return result

        return run

    app.loader.import_default_modules()
    for name, task in list(app.tasks.items()):
        if name.startswith("metrics.tasks.kpi_snapshots_") and name not in NOT_WRITERS:
            # Celery's autoretry wrapper calls ``_orig_run``: a fault raised here is retried.
            attribute = "_orig_run" if hasattr(task, "_orig_run") else "run"
            setattr(task, attribute, faulty(task, getattr(task, attribute)))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")
    import django

    django.setup()
    from careerladder.celery import app

    _install_faults(app)
    app.worker_main(sys.argv[1:])


if __name__ == "__main__":
    main()
