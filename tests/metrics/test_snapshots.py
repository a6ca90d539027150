"""Snapshots: the hand-worked values materialised, idempotent upserts, the command, the tasks
(retry after a database error, enqueue on commit) and the nightly schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError
from django_celery_beat.models import PeriodicTask

from metrics import services, tasks
from metrics.models import KpiSnapshot
from tests.metrics.conftest import EXPECTED_A, EXPECTED_B, EXPECTED_ORG, assert_kpis, celery_conf_override

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)
JUNE_1 = dt.date(2025, 6, 1)


def _as_dict(snapshot: KpiSnapshot) -> dict:
    return {f.name: getattr(snapshot, f.attname) for f in KpiSnapshot._meta.concrete_fields}


def test_march_snapshots_hold_the_hand_worked_values(kpi_world, site_a, site_b):
    written = services.kpi_snapshots_compute_all(months=[MARCH], today=JUNE_1)
    assert written == 3  # organisation, site A, site B
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site__isnull=True, month=MARCH)), EXPECTED_ORG)
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site=site_a, month=MARCH)), EXPECTED_A)
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site=site_b, month=MARCH)), EXPECTED_B)
    org = KpiSnapshot.objects.get(site__isnull=True, month=MARCH)
    assert (org.period_start, org.period_end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def test_running_twice_updates_the_same_rows(kpi_world, site_a):
    months = [dt.date(2025, 2, 1), MARCH]
    services.kpi_snapshots_compute_all(months=months, today=JUNE_1)
    first = {(s.site_id, s.month): (s.pk, s.computed_at) for s in KpiSnapshot.objects.all()}
    assert len(first) == 6

    services.kpi_snapshots_compute_all(months=months, today=JUNE_1)
    second = {(s.site_id, s.month): (s.pk, s.computed_at) for s in KpiSnapshot.objects.all()}
    assert KpiSnapshot.objects.count() == 6
    assert {key: pk for key, (pk, _) in second.items()} == {key: pk for key, (pk, _) in first.items()}
    assert all(second[key][1] >= first[key][1] for key in first)
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site=site_a, month=MARCH)), EXPECTED_A)


def test_the_database_refuses_a_second_row_for_a_scope_and_month(kpi_world, site_a):
    services.kpi_snapshots_compute_all(months=[MARCH], today=JUNE_1)
    for site in (None, site_a):
        duplicate = KpiSnapshot.objects.get(site=site, month=MARCH)
        duplicate.pk = None
        with pytest.raises(IntegrityError), __import__("django.db").db.transaction.atomic():
            duplicate.save()


def test_the_current_month_covers_the_month_to_date(kpi_world, site_a):
    services.kpi_snapshots_compute(site_id=site_a.pk, months=[MARCH], today=dt.date(2025, 3, 20))
    snapshot = KpiSnapshot.objects.get(site=site_a, month=MARCH)
    assert (snapshot.period_start, snapshot.period_end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 20))
    # Employed on 03-20 at site A: Ava, Ben, Cara, Dan, Eve, Gus, Hana, Jon (Finn and Ivy left).
    assert snapshot.headcount_end == 8
    assert snapshot.voluntary_separations == 2  # Finn 03-15, Ivy 03-10; Eve leaves on 03-31


def test_compute_kpis_command_writes_the_range_and_shows_progress(kpi_world, site_a):
    out = StringIO()
    call_command("compute_kpis", "--from", "2025-02", "--to", "2025-03", stdout=out)
    assert KpiSnapshot.objects.filter(month__in=[dt.date(2025, 2, 1), MARCH]).count() == 6
    text = out.getvalue()
    assert "2 month(s), 2025-02 to 2025-03" in text
    assert "3/3 scopes" in text
    assert "6 snapshot(s) written" in text
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site=site_a, month=MARCH)), EXPECTED_A)


def test_compute_kpis_defaults_to_every_month_since_the_earliest_hire(site_a, monkeypatch):
    from tests.factories import TechnicianFactory

    TechnicianFactory(site=site_a, hire_date=dt.date(2025, 1, 20))
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2025, 4, 2))
    call_command("compute_kpis", stdout=StringIO())
    months = sorted(set(KpiSnapshot.objects.values_list("month", flat=True)))
    assert months == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
    april = KpiSnapshot.objects.get(site__isnull=True, month=dt.date(2025, 4, 1))
    assert april.period_end == dt.date(2025, 4, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-13"], "--from"),
        (["--to", "March"], "--to"),
        (["--from", "2025-03", "--to", "2025-01"], "before"),
        (["--to", "2999-01"], "after the current month"),
    ],
)
def test_compute_kpis_rejects_bad_months(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("compute_kpis", *args, stdout=StringIO())


@pytest.fixture
def eager_celery():
    with celery_conf_override(task_always_eager=True, task_eager_propagates=True) as app:
        yield app


@pytest.fixture
def eager_celery_with_retries():
    """Eager, but a retry is re-run in process instead of propagating (Celery raises ``Retry``
    to the caller when eager exceptions propagate)."""
    with celery_conf_override(task_always_eager=True, task_eager_propagates=False) as app:
        yield app


def test_the_scope_task_retries_after_a_database_error_and_then_succeeds(
    kpi_world, site_a, eager_celery_with_retries, monkeypatch
):
    real = services.kpi_snapshots_compute
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["site_id"])
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "kpi_snapshots_compute", flaky)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: JUNE_1)
    result = tasks.kpi_snapshots_scope.apply(args=[site_a.pk, ["2025-03"]])
    assert result.successful()
    assert calls == [site_a.pk, site_a.pk]  # failed once, retried once
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site=site_a, month=MARCH)), EXPECTED_A)


def test_tasks_acknowledge_late_and_retry_database_errors_with_backoff():
    for task in (tasks.kpi_snapshots_scope, tasks.kpi_snapshots_fan_out, tasks.kpi_snapshots_nightly):
        assert task.acks_late is True
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff and task.retry_jitter
        assert task.max_retries >= 3


def test_enqueue_waits_for_the_commit_and_fans_out_per_month_for_the_organisation(
    kpi_world, site_a, site_b, eager_celery, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: JUNE_1)
    months = []
    real = services.kpi_snapshots_compute_month
    monkeypatch.setattr(services, "kpi_snapshots_compute_month", lambda **kw: months.append(kw["month"]) or real(**kw))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.kpi_snapshots_enqueue(months=[MARCH])
    assert KpiSnapshot.objects.count() == 0  # nothing runs before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert months == [MARCH]  # one task for the month: every site and the organisation
    written = {s.site_id: s for s in KpiSnapshot.objects.filter(month=MARCH)}
    assert set(written) == {None, site_a.pk, site_b.pk}
    assert_kpis(_as_dict(written[None]), EXPECTED_ORG)
    assert_kpis(_as_dict(written[site_a.pk]), EXPECTED_A)
    assert_kpis(_as_dict(written[site_b.pk]), EXPECTED_B)
    assert KpiSnapshot.objects.count() == 3


def test_nightly_task_computes_previous_and_current_month(kpi_world, eager_celery, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2025, 4, 10))
    tasks.kpi_snapshots_nightly.apply()
    months = sorted(set(KpiSnapshot.objects.values_list("month", flat=True)))
    assert months == [MARCH, dt.date(2025, 4, 1)]
    assert KpiSnapshot.objects.count() == 6
    assert_kpis(_as_dict(KpiSnapshot.objects.get(site__isnull=True, month=MARCH)), EXPECTED_ORG)


def test_the_nightly_job_is_scheduled_once_by_a_data_migration():
    task = PeriodicTask.objects.get(task="metrics.tasks.kpi_snapshots_nightly")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("15", "2")
    assert PeriodicTask.objects.filter(task="metrics.tasks.kpi_snapshots_nightly").count() == 1


def test_the_schedule_migration_is_idempotent():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("metrics.migrations.0002_schedule_nightly_kpi_snapshots")
    migration.schedule(apps, None)
    migration.schedule(apps, None)
    assert PeriodicTask.objects.filter(task="metrics.tasks.kpi_snapshots_nightly").count() == 1


def test_demo_hook_materialises_24_months_for_every_scope(kpi_world):
    from metrics.demo import demo_kpis_create

    written = demo_kpis_create(today=JUNE_1)
    assert written == 24 * 3
    assert KpiSnapshot.objects.filter(site__isnull=True).count() == 24
    assert demo_kpis_create(today=JUNE_1) == 72
    assert KpiSnapshot.objects.count() == 72
