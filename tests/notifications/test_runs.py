"""Exactly once: the daily job run twice, after a crash, with a failing mail server and on two
workers at once never gives anyone a notice or a digest twice."""

from __future__ import annotations

import smtplib
import threading

import pytest
from django.core import mail
from django.db import connection
from django_celery_beat.models import PeriodicTask

from notifications import services
from notifications.models import Digest, Notification
from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tests.notifications.conftest import D, keys_of, rehire, run
from tests.training.factories import TrainingAssignmentFactory

pytestmark = pytest.mark.django_db

DAY = D(2026, 1, 21)


@pytest.fixture
def due_world(technician_user, manager_user, tech_a):
    """On 2026-01-21 Alice (site A, login ``technician``) has training overdue since 2026-01-20
    and another due 2026-01-25 (within 7 days): two notices for her, the overdue one escalated
    to the site's manager."""
    technician_user.email = "alice@example.org"
    technician_user.save(update_fields=["email"])
    manager_user.email = "morgan@example.org"
    manager_user.save(update_fields=["email"])
    overdue = TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20))
    soon = TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 25))
    return {"overdue": overdue, "soon": soon, "technician": technician_user, "manager": manager_user}


def _outbox_by_recipient() -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in mail.outbox:
        for address in message.to:
            counts[address] = counts.get(address, 0) + 1
    return counts


def test_one_digest_per_person_with_text_and_html(due_world):
    summary = run(DAY)

    assert (summary.due_items, summary.notices_created, summary.digests_sent) == (2, 3, 2)
    assert _outbox_by_recipient() == {"alice@example.org": 1, "morgan@example.org": 1}
    alice = next(m for m in mail.outbox if m.to == ["alice@example.org"])
    assert alice.subject == "CareerLadder: 2 new notices (1 overdue)"
    assert alice.extra_headers["Auto-Submitted"] == "auto-generated"
    # Overdue first, then by date.
    assert alice.body.index("Training overdue: Health screenings") < alice.body.index("Training due within 7 days")
    assert "https://careerladder.example.org/training/" in alice.body
    assert "https://careerladder.example.org/notifications/" in alice.body
    [(html, mimetype)] = alice.alternatives
    assert mimetype == "text/html"
    assert '<a href="https://careerladder.example.org/training/">Open in CareerLadder</a>' in html
    morgan = next(m for m in mail.outbox if m.to == ["morgan@example.org"])
    assert morgan.subject == "CareerLadder: 1 new notice (1 overdue)"
    assert "Alice Archer: Training overdue: Health screenings (blood pressure, glucose)" in morgan.body
    assert f"https://careerladder.example.org/training/technicians/{due_world['overdue'].technician_id}/" in morgan.body
    assert set(Digest.objects.values_list("status", flat=True)) == {"sent"}
    assert Notification.objects.filter(digest__isnull=True).count() == 0


def test_running_twice_a_day_sends_nothing_twice(due_world):
    run(DAY)
    second = run(DAY)

    assert (second.notices_created, second.digests_sent) == (0, 0)
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 2
    assert Digest.objects.count() == 2


def test_nothing_new_sends_no_email_the_next_day(due_world):
    run(DAY)
    mail.outbox.clear()

    summary = run(D(2026, 1, 22))

    assert summary.notices_created == 0
    assert mail.outbox == []
    assert Digest.objects.filter(day=D(2026, 1, 22)).count() == 0


def test_notices_found_after_the_days_digest_wait_for_the_next_day(due_world, tech_a):
    run(DAY)
    later = TrainingAssignmentFactory(technician=tech_a, assigned_on=D(2026, 1, 21), due_on=D(2026, 1, 23))
    run(DAY)  # a second run the same day finds the new item: in the app now, e-mailed tomorrow
    assert keys_of(due_world["technician"])[-1] == f"training:{later.pk}:2026-01-23:7"
    assert len(mail.outbox) == 2

    run(D(2026, 1, 22))

    assert _outbox_by_recipient() == {"alice@example.org": 2, "morgan@example.org": 1}
    assert mail.outbox[-1].subject == "CareerLadder: 1 new notice"
    assert "Due on January 23, 2026." in mail.outbox[-1].body


def test_notices_read_in_the_app_are_not_emailed(due_world):
    run(DAY, send=False)
    services.notifications_mark_all_read(user=due_world["technician"])

    run(DAY)

    assert _outbox_by_recipient() == {"morgan@example.org": 1}


def test_a_login_without_any_address_gets_notices_in_the_app_only(due_world, tech_a):
    """The login has no e-mail and neither has the technician record: notices, no digest. With
    only the technician record's address, the digest goes there."""
    User.objects.filter(pk=due_world["technician"].pk).update(email="")
    Technician.objects.filter(pk=tech_a.pk).update(email="")

    run(DAY)

    assert len(keys_of(due_world["technician"])) == 2
    assert _outbox_by_recipient() == {"morgan@example.org": 1}
    Technician.objects.filter(pk=tech_a.pk).update(email="alice.archer@example.org")
    run(D(2026, 1, 22))
    assert _outbox_by_recipient() == {"morgan@example.org": 1, "alice.archer@example.org": 1}


# --- Failures and crashes --------------------------------------------------------------------


def test_a_failed_send_is_retried_by_the_next_run_and_sent_once(due_world, monkeypatch):
    """The mail server refuses Alice's digest: it is marked failed and its notices released;
    the next run that day sends it, once. Morgan's went out the first time and is not resent."""
    real_send = services.EmailMultiAlternatives.send

    def refuse_alice(message, *args, **kwargs):
        if message.to == ["alice@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"alice@example.org": (450, b"mailbox busy")})
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", refuse_alice)
    first = run(DAY)
    assert (first.digests_sent, first.digests_failed) == (1, 1)
    failed = Digest.objects.get(recipient=due_world["technician"])
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.error.startswith("SMTPRecipientsRefused")
    assert Notification.objects.filter(recipient=due_world["technician"], digest__isnull=True).count() == 2

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", real_send)
    second = run(DAY)

    assert (second.digests_sent, second.digests_failed) == (1, 0)
    assert _outbox_by_recipient() == {"alice@example.org": 1, "morgan@example.org": 1}
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 2)


def test_a_digest_that_keeps_failing_stops_after_three_attempts_and_its_notices_go_next_day(due_world, monkeypatch):
    def refuse(message, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", refuse)
    for _ in range(4):
        run(DAY)
    assert sorted(Digest.objects.values_list("attempts", flat=True)) == [3, 3]
    monkeypatch.undo()

    run(DAY)  # the day's attempts are used up
    assert mail.outbox == []
    run(D(2026, 1, 22))

    assert _outbox_by_recipient() == {"alice@example.org": 1, "morgan@example.org": 1}
    assert "Training overdue" in mail.outbox[0].body + mail.outbox[1].body


class WorkerLost(BaseException):
    """What a killed worker looks like from inside: not an error the code may catch."""


def test_a_crash_while_creating_notices_then_a_rerun_gives_each_notice_once(due_world, monkeypatch):
    monkeypatch.setattr(services, "NOTICE_CHUNK", 1)
    real_insert = services._insert_chunk
    calls = {"n": 0}

    def crash_on_second_chunk(notices):
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerLost
        return real_insert(notices)

    monkeypatch.setattr(services, "_insert_chunk", crash_on_second_chunk)
    with pytest.raises(WorkerLost):
        run(DAY)
    assert Notification.objects.count() == 1
    assert mail.outbox == []

    monkeypatch.setattr(services, "_insert_chunk", real_insert)
    rerun = run(DAY)

    assert rerun.notices_created == 2
    assert Notification.objects.count() == 3
    assert sorted(Notification.objects.values_list("recipient__username", "threshold")) == [
        ("manager", "overdue"),
        ("technician", "7"),
        ("technician", "overdue"),
    ]
    assert _outbox_by_recipient() == {"alice@example.org": 1, "morgan@example.org": 1}


def test_a_crash_while_sending_never_sends_that_digest_twice(due_world, monkeypatch):
    """The worker dies while Alice's digest is with the mail server: nobody knows whether it
    left, so the rerun does not send it again (her notices are in the app); Morgan's digest,
    not reached before the crash, goes out once."""
    real_send = services.EmailMultiAlternatives.send

    def die_on_alice(message, *args, **kwargs):
        if message.to == ["alice@example.org"]:
            raise WorkerLost
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", die_on_alice)
    alice, manager = due_world["technician"], due_world["manager"]
    with pytest.raises(WorkerLost):
        # Alice's login was created first, so her digest is claimed first.
        assert alice.pk < manager.pk
        run(DAY)
    assert Digest.objects.get(recipient=alice).status == "sending"

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", real_send)
    run(DAY)
    run(DAY)

    assert _outbox_by_recipient() == {"morgan@example.org": 1}
    assert Digest.objects.get(recipient=alice).status == "sending"
    assert Notification.objects.filter(recipient=alice).count() == 2

    # An admin who checked the mail log releases it: the next run sends it, once.
    services.digest_release(digest=Digest.objects.get(recipient=alice))
    run(DAY)
    run(DAY)
    assert _outbox_by_recipient() == {"morgan@example.org": 1, "alice@example.org": 1}


# --- Two workers at once (Postgres) ------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_at_once_create_each_notice_and_digest_once():
    """Two threads (two database connections) run the job for the same day at the same moment,
    on 12 technicians of two sites with a login each and an overdue and a due-soon training."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need Postgres (SQLite serialises the whole database).")
    sites = [SiteFactory(code="CA1"), SiteFactory(code="CA2")]
    for n in range(12):
        tech = TechnicianFactory(site=sites[n % 2], email="")
        rehire(tech, D(2024, 1, 15))
        UserFactory(username=f"tech{n}", technician=tech, email=f"tech{n}@example.org")
        TrainingAssignmentFactory(technician=tech, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 20))
        TrainingAssignmentFactory(technician=tech, assigned_on=D(2025, 12, 1), due_on=D(2026, 1, 24))
    UserFactory(username="boss1", role=User.Role.MANAGER, sites=[sites[0]], email="boss1@example.org")
    UserFactory(username="boss2", role=User.Role.MANAGER, sites=[sites[1]], email="boss2@example.org")

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=30)
            run(DAY)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    # 12 technicians x 2 own notices, plus 6 overdue escalations to each site's manager.
    assert Notification.objects.count() == 12 * 2 + 12
    assert Notification.objects.filter(escalated=True, recipient__username="boss1").count() == 6
    assert Digest.objects.filter(status="sent").count() == 14
    counts = _outbox_by_recipient()
    assert len(counts) == 14
    assert set(counts.values()) == {1}


# --- The schedule ------------------------------------------------------------------------------


def test_the_daily_run_is_scheduled_in_celery_beat():
    task = PeriodicTask.objects.get(task="notifications.tasks.notifications_daily")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("0", "6")


def test_the_celery_task_runs_the_job_for_today(technician_user, tech_a):
    from django.utils import timezone

    from notifications.tasks import notifications_daily

    today = timezone.localdate()
    TrainingAssignmentFactory(technician=tech_a, assigned_on=today, due_on=today)
    technician_user.email = "alice@example.org"
    technician_user.save(update_fields=["email"])

    result = notifications_daily.delay().get()

    assert (result["day"], result["notices_created"], result["digests_sent"]) == (today.isoformat(), 1, 1)
    assert notifications_daily.delay().get()["notices_created"] == 0
    assert len(mail.outbox) == 1
