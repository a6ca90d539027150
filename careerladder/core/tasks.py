"""Security housekeeping, run nightly by Celery beat (scheduled by core migration 0002)."""

from __future__ import annotations

from celery import shared_task

from careerladder.core import security
from careerladder.core.queue import DATABASE_RETRY


@shared_task(**DATABASE_RETRY)
def sessions_clear_expired() -> int:
    """Expired and over-age sessions out of the database. Safe to run twice."""
    return security.sessions_clear_expired()
