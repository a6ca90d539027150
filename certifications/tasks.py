"""Celery tasks of the certifications app: a service call, nothing else.

``incentive_triggers_nightly`` is django-celery-beat's nightly entry (migration 0005): it
checks every incentive trigger for every employed technician, which picks up promotions
recorded by the ladder app and CE cycles completed through imports. The service is
idempotent (an event counts once per programme), so running it twice is harmless; it is
acknowledged late and retried with backoff when the database is briefly unavailable.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from careerladder.core.queue import DATABASE_RETRY
from certifications import services


@shared_task(name="certifications.tasks.incentive_triggers_nightly", **DATABASE_RETRY)
def incentive_triggers_nightly() -> int:
    return services.incentives_evaluate(today=timezone.localdate())


@shared_task(name="certifications.tasks.incentive_triggers_for", **DATABASE_RETRY)
def incentive_triggers_for(technician_ids: list[int]) -> int:
    """For other apps' writes that can fire a trigger (e.g. an approved promotion); enqueue
    with ``transaction.on_commit``."""
    return services.incentives_evaluate(technician_ids=technician_ids, today=timezone.localdate())
