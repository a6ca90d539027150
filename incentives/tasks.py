"""The incentive checks, run by Celery: ``incentive_triggers_nightly`` is django-celery-beat's
nightly entry (its schedule is certifications migration 0005, renamed by incentives migration
0003); ``incentive_triggers_for`` runs after an import."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from careerladder.core.queue import DATABASE_RETRY
from incentives import services as incentives_services


@shared_task(name="incentives.tasks.incentive_triggers_nightly", **DATABASE_RETRY)
def incentive_triggers_nightly() -> int:
    return incentives_services.incentives_evaluate(today=timezone.localdate())


@shared_task(name="incentives.tasks.incentive_triggers_for", **DATABASE_RETRY)
def incentive_triggers_for(technician_ids: list[int]) -> int:
    """For other apps' writes that can fire a trigger (e.g. an approved promotion); enqueue
    with ``transaction.on_commit``."""
    return incentives_services.incentives_evaluate(technician_ids=technician_ids, today=timezone.localdate())
