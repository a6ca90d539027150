"""``manage.py seed_demo``: deterministic demo data and the demo logins (PRODUCT.md section 4)."""

from __future__ import annotations

import datetime as dt
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from careerladder.core.errors import ApplicationError
from technicians import demo


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Create deterministic, realistic demo data (sites, technicians with tier histories and separations) "
        f"and the demo logins admin, hr, manager, evaluator and technician (password {demo.DEMO_PASSWORD})."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--technicians",
            type=_positive,
            default=250,
            help="Technicians employed at any time in the period (default 250, about half still employed).",
        )
        parser.add_argument("--sites", type=_positive, default=6, help="Pharmacy sites (default 6).")
        parser.add_argument("--years", type=_positive, default=5, help="Years of history up to today (default 5).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Pretend today is YYYY-MM-DD (default: the local date), to reproduce a data set exactly.",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty",
            action="store_true",
            help="Only when no technician exists yet; otherwise change nothing and print the logins.",
        )
        mode.add_argument(
            "--reset",
            action="store_true",
            help="Delete every site, technician and tier history first, then create the demo data.",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and demo.demo_data_present():
            self.stdout.write("Technicians already exist; the data was left unchanged.")
            self._print_logins(demo.demo_logins_describe())
            return
        started = time.monotonic()
        try:
            with transaction.atomic():
                if options["reset"]:
                    demo.demo_data_delete()
                summary = demo.demo_data_create(
                    technicians=options["technicians"],
                    sites=options["sites"],
                    years=options["years"],
                    seed=options["seed"],
                    today=options["today"] or timezone.localdate(),
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created in {elapsed:.1f} s (seed {summary.seed}, {_count(summary.years, 'year')} to "
                f"{summary.today:%Y-%m-%d}):"
            )
        )
        self.stdout.write(
            f"  {_count(summary.sites, 'site')}, {_count(summary.technicians, 'technician')}: {summary.active} active, "
            f"{summary.on_leave} on leave, {summary.separations} separated "
            f"({summary.voluntary_separations} voluntary); {_count(summary.promotions, 'promotion')}."
        )
        self._print_logins(summary.logins)

    def _print_logins(self, logins: list[demo.DemoLogin]) -> None:
        port = os.environ.get("PORT", "8000")
        self.stdout.write("")
        self.stdout.write(f"Demo logins at http://127.0.0.1:{port}/ (password: {demo.DEMO_PASSWORD})")
        if not logins:
            self.stdout.write("  none found; run `manage.py seed_demo --reset` to create them.")
            return
        width = max(len(login.username) for login in logins) + 2
        self.stdout.write(f"  {'username'.ljust(width)}{'role'.ljust(12)}scope")
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}{login.role.ljust(12)}{login.scope}")
