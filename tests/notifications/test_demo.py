"""seed_demo runs the daily job once for the demo day: the demo logins find notices waiting
(in the app; the demo sends no e-mail), and a second run that day adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from notifications.models import Digest, Notification
from notifications.services import notifications_run
from technicians import demo as technician_demo
from technicians.models import User

TODAY = dt.date(2026, 3, 18)


@pytest.mark.django_db
def test_seed_demo_leaves_notices_for_the_demo_logins():
    technician_demo.demo_data_create(technicians=60, sites=2, years=2, seed=7, today=TODAY)

    technician = User.objects.get(username="technician")
    manager = User.objects.get(username="manager")
    own = Notification.objects.filter(recipient=technician)
    assert own.exists()
    assert not own.filter(escalated=True).exists()
    # The technician login has last month's evaluation waiting for acknowledgement.
    assert own.filter(kind="evaluation", title="Evaluation for February 2026 to acknowledge").exists()
    escalated = Notification.objects.filter(recipient=manager)
    assert escalated.exists()
    assert not escalated.filter(escalated=False).exists()
    # Only technicians of the manager's sites are escalated to them.
    assert set(escalated.values_list("technician__site_id", flat=True)) <= set(
        manager.sites.values_list("id", flat=True)
    )
    assert mail.outbox == []
    assert Digest.objects.count() == 0
    assert set(Notification.objects.values_list("created_on", flat=True)) == {TODAY}

    count = Notification.objects.count()
    assert notifications_run(today=TODAY, send_digests=False).notices_created == 0
    assert Notification.objects.count() == count
