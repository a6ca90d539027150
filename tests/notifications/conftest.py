"""Shared pieces of the notification tests: a run on a given day and the notices it left."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications import services
from notifications.models import Notification
from technicians.models import Technician
from tiers.models import TierAssignment

D = dt.date


def run(day: dt.date, *, send: bool = True) -> services.RunSummary:
    return services.notifications_run(today=day, send_digests=send)


def notices_of(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("created_on", "id"))


def keys_of(user) -> list[str]:
    return [n.key for n in notices_of(user)]


def rehire(technician: Technician, hire_date: dt.date) -> Technician:
    """Move a factory technician's hire date (and their hire tier assignment with it)."""
    Technician.objects.filter(pk=technician.pk).update(hire_date=hire_date)
    TierAssignment.objects.filter(technician=technician).update(start_date=hire_date)
    technician.refresh_from_db()
    return technician


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://careerladder.example.org"
