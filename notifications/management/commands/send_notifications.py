"""``manage.py send_notifications``: run the daily notification job now (the Celery task's code)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import services


class Command(BaseCommand):
    help = (
        "Find due and overdue deadlines, create the missing in-app notices and send today's e-mail digests. "
        "Safe to run again: nobody gets a notice or a digest twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="Run as of YYYY-MM-DD (default: today)."
        )
        parser.add_argument("--no-email", action="store_true", help="Create the in-app notices only.")

    def handle(self, *args, **options):
        summary = services.notifications_run(
            today=options["today"] or timezone.localdate(), send_digests=not options["no_email"]
        )
        self.stdout.write(
            f"{summary.day:%Y-%m-%d}: {summary.due_items} due items, {summary.notices_created} new notices, "
            f"{summary.digests_sent} digests sent, {summary.digests_failed} failed."
        )
