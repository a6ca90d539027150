"""``python manage.py compute_kpis [--from YYYY-MM] [--to YYYY-MM]``: the monthly KPI snapshots,
now and in this process (the same service the Celery tasks run), with progress on the terminal.
By default every month from the earliest hire to the current month."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from metrics import kpis, services


class Command(BaseCommand):
    help = "Materialise the monthly KPI snapshots (every site and the organisation) now."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", metavar="YYYY-MM", help="First month (default: earliest hire).")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM", help="Last month (default: the current month).")

    def handle(self, *args, first=None, last=None, **options):
        today = timezone.localdate()
        try:
            months = services.default_months(today=today)
            start = services.parse_month(first, field="--from") if first else months[0]
            stop = services.parse_month(last, field="--to") if last else today.replace(day=1)
        except ApplicationError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        if stop < start:
            raise CommandError("--to is before --from.")
        if stop > today.replace(day=1):
            raise CommandError(f"--to cannot be after the current month ({today:%Y-%m}).")
        months = kpis.months_from_to(start, stop)
        began = time.monotonic()
        self.stdout.write(f"Computing KPI snapshots for {len(months)} month(s), {start:%Y-%m} to {stop:%Y-%m}…")

        def progress(done: int, total: int, site_id) -> None:
            width = 30
            filled = width * done // total
            scope = "organisation" if site_id is None else f"site {site_id}"
            line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} scopes ({scope})"
            self.stdout.write(line.ljust(72), ending="")
            self.stdout.flush()

        written = services.kpi_snapshots_compute_all(months=months, today=today, progress=progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{written} snapshot(s) written in {time.monotonic() - began:.1f} s."))
