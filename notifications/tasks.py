"""Celery tasks of the notifications app: a service call, nothing else.

``notifications_daily`` is django-celery-beat's daily entry (migration 0002, 06:00 in the
organisation's time zone). The service is idempotent (notices unique per recipient and item,
digests claimed per recipient and day), so a second run the same day, a retry after a dropped
database connection or a redelivery to another worker sends nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from careerladder.core.queue import DATABASE_RETRY
from notifications import services


@shared_task(name="notifications.tasks.notifications_daily", **DATABASE_RETRY)
def notifications_daily() -> dict:
    summary = services.notifications_run(today=timezone.localdate())
    return {**asdict(summary), "day": summary.day.isoformat()}
