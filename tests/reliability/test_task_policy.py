"""No job is lost: the Celery settings and every task of the project, checked as configured.

The behaviour behind each setting is shown against a real worker and Redis in
test_worker_faults.py and test_redis_outage.py; this file makes sure no task and no setting
drifts away from it (a new app's task without retries fails here, naming the task).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import checks
from django.db import InterfaceError, OperationalError

from careerladder.celery import app as celery_app
from careerladder.celery import visibility_timeout_outlasts_tasks
from careerladder.core.queue import DATABASE_RETRY

PROJECT_APPS = (
    "metrics",
    "certifications",
    "incentives",
    "notifications",
    "technicians",
    "competencies",
    "tiers",
    "tracks",
    "training",
    "imports",
    "careerladder",
)


def project_tasks() -> dict:
    celery_app.autodiscover_tasks(force=True)
    return {name: task for name, task in celery_app.tasks.items() if name.split(".")[0] in PROJECT_APPS}


def test_deliveries_survive_a_dying_worker():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_max_retries is None  # a worker waits out any Redis outage
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_the_visibility_timeout_outlasts_the_longest_task_in_broker_and_result_backend():
    conf = celery_app.conf
    broker, backend = conf.broker_transport_options, conf.result_backend_transport_options
    assert broker["visibility_timeout"] == backend["visibility_timeout"] == 2 * 60 * 60
    assert broker["visibility_timeout"] > conf.task_time_limit


def test_a_visibility_timeout_shorter_than_the_time_limit_is_reported(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_TIME_LIMIT = 1200
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}

    [warning] = visibility_timeout_outlasts_tasks()

    assert warning.id == "careerladder.W001"
    assert warning.level == checks.WARNING
    assert warning.msg == "CELERY_VISIBILITY_TIMEOUT (600 s) is not longer than CELERY_TASK_TIME_LIMIT (1200 s)."
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1201}
    assert visibility_timeout_outlasts_tasks() == []


def test_the_project_has_the_expected_tasks():
    names = set(project_tasks())
    assert {
        "metrics.tasks.kpi_snapshots_scope",
        "metrics.tasks.kpi_snapshots_fan_out",
        "metrics.tasks.kpi_snapshots_nightly",
        "metrics.tasks.kpi_snapshots_reconcile",
        "incentives.tasks.incentive_triggers_nightly",
        "incentives.tasks.incentive_triggers_for",
    } <= names


@pytest.mark.parametrize("name", sorted(project_tasks()))
def test_every_task_retries_transient_database_errors_with_backoff_and_jitter(name):
    task = celery_app.tasks[name]
    fix = f"{name}: declare it with @shared_task(**careerladder.core.queue.DATABASE_RETRY)"
    assert task.acks_late is True, fix
    assert {OperationalError, InterfaceError} <= set(getattr(task, "autoretry_for", ())), fix
    assert task.retry_backoff, fix
    assert task.retry_jitter is True, fix
    assert task.max_retries and task.max_retries > 0, fix
    assert task.retry_backoff_max <= settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"], fix


def test_the_shared_retry_options_are_the_documented_ones():
    assert DATABASE_RETRY == {
        "acks_late": True,
        "autoretry_for": (OperationalError, InterfaceError),
        "retry_backoff": 2,
        "retry_backoff_max": 300,
        "retry_jitter": True,
        "max_retries": 6,
    }
