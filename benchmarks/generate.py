"""Benchmark data set at health-system scale, written with COPY (Postgres only).

``python -m benchmarks.generate --technicians 20000 --sites 2000 --years 5 --seed 42`` empties
the organisation's data in the database ``DATABASE_URL`` points at (sites, technicians, logins
and everything that hangs off them; the reference data of the migrations stays) and writes:

- sites of every kind, sized like the demo (hospitals larger than clinics); site ``S00001`` has
  exactly 50 employed technicians (the training-matrix measurement);
- ``--technicians`` positions, each held on the window's first day by someone hired earlier and
  refilled after every separation, so the employed headcount today equals ``--technicians``
  (less vacancies) and the rows include every leaver of the window;
- separations at about 25-30 % a year (DOMAIN.md section 5: higher in the first year, in
  retail and for stalled technicians; about four in five voluntary, with exit reasons);
- tier histories with the demo's promotion pace, competency rounds and their checklist
  sign-offs (the requirements of every tier reached, re-validated at their interval, some
  lapsed, plus progress towards the next tier), CPhT per the PTCB baseline (most within the
  window, some late, some never; renewed every 24 months), state registrations, BLS, CSPT,
  assessment certificates, CE credits for every CPhT cycle, practice tests before the exam,
  PTCB extensions for some overdue technicians, monthly evaluations for the last 12 months,
  training assignments (about two a year, most completed, some late or overdue) and approved
  promotions behind the last year's promotions;
- one manager and one evaluator login per site, an ``bench-hr`` login and a ``bench-tech``
  login linked to a long-serving technician with a rich history (all with the password
  ``BENCH_PASSWORD``).

Row counts follow the demo's proportions (``technicians/demo.py``, ``tiers/demo.py``,
``certifications/demo.py``); history tables (django-simple-history) are not filled: nothing
the benchmark measures reads them. Every random choice comes from ``random.Random`` streams
seeded from ``--seed``, and ``today`` is fixed per run, so the same arguments give the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

TECH1, TECH2, TECH3, LEAD = "TECH1", "TECH2", "TECH3", "LEAD"
LADDER = (TECH1, TECH2, TECH3, LEAD)
BENCH_PASSWORD = "careerladder-bench"  # noqa: S105 - a benchmark database only
MATRIX_SITE_POSITIONS = 50
KINDS = ("hospital", "retail", "specialty", "clinic", "retail", "hospital")
SITE_SIZE = {"hospital": 1.6, "specialty": 1.3, "retail": 0.8, "clinic": 0.6}
SITE_TURNOVER = {"hospital": 0.85, "specialty": 0.95, "retail": 1.2, "clinic": 0.9}
STATES = ("OH", "PA", "TN", "AZ", "CO", "NC", "WI", "CA", "FL", "TX", "MI", "WA", "KY", "NE", "NY", "VA")
HIRE_TIER = ((TECH1, 85), (TECH2, 12), (TECH3, 3))
# (share promoted, usual (low, high, mode) months, share slow, slow months): the demo's pace.
PACE = {
    TECH1: (0.92, (9, 18, 12), 0.15, (18, 32, 22)),
    TECH2: (0.50, (14, 36, 24), 0.30, (36, 60, 42)),
    TECH3: (0.30, (18, 48, 30), 0.30, (48, 72, 54)),
}
EXPECTED_MONTHS = {TECH1: 12, TECH2: 24, TECH3: 36, LEAD: 48}
TIER_TURNOVER = {TECH1: 1.0, TECH2: 0.9, TECH3: 0.7, LEAD: 0.6}
# Calibrated so that the organisation loses about 25-30 % of its headcount a year.
TURNOVER_SCALE = 1.1
TERMINATION = (("voluntary", 78), ("involuntary", 14), ("retirement", 4), ("other", 4))
EXIT_REASONS = (
    ("pay", 75),
    ("career_growth", 72),
    ("workload", 70),
    ("conditions", 30),
    ("schedule", 25),
    ("management", 20),
    ("relocation", 18),
    ("education", 15),
    ("personal", 15),
    ("other", 5),
)
FIRST_NAMES = (
    "Aaliyah", "Adriana", "Aisha", "Alejandro", "Alexis", "Amanda", "Amir", "Ana", "Andre", "Angela",
    "Anh", "Ashley", "Brandon", "Brianna", "Camila", "Carlos", "Chloe", "Chris", "Crystal", "Daniel",
    "Deja", "Diego", "Dylan", "Elena", "Emily", "Eric", "Fatima", "Gabriel", "Grace", "Hannah",
    "Hector", "Imani", "Isabel", "Jacob", "Jamal", "Jasmine", "Jason", "Jennifer", "Jessica", "Jordan",
    "Jose", "Joshua", "Kayla", "Kevin", "Keisha", "Kyle", "Latoya", "Lauren", "Linh", "Luis",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Ahmed", "Allen", "Alvarez", "Anderson", "Baker", "Bell", "Brooks", "Brown", "Campbell",
    "Carter", "Castillo", "Chen", "Clark", "Collins", "Cruz", "Davis", "Diaz", "Edwards", "Evans",
    "Flores", "Foster", "Garcia", "Gomez", "Gonzalez", "Gray", "Green", "Hall", "Harris", "Hernandez",
    "Hill", "Hughes", "Jackson", "James", "Johnson", "Jones", "Kelly", "Khan", "Kim", "King",
    "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Miller", "Moore", "Nguyen", "Patel", "Perez",
)  # fmt: skip
CE_PROVIDERS = ("0145", "0204", "0430", "0798", "JA0002895")
CE_TOPICS = (("01", 30), ("03", 12), ("04", 25), ("05", 12), ("06", 8), ("07", 8), ("08", 5))
METHODS = ("observation", "demonstration", "simulation", "written_test", "verbal", "chart_audit")
SHARE_LAPSED = 0.06
SHARE_ON_LEAVE = 0.04


class Hire:
    """One technician of the plan (compact: hundreds of thousands of them)."""

    __slots__ = ("id", "site", "hire", "term", "term_type", "reason", "rehire", "status", "tiers", "first_ta")

    def __init__(self, pk: int, site: int, hire: dt.date):
        self.id, self.site, self.hire = pk, site, hire
        self.term = None
        self.term_type = self.reason = ""
        self.rehire = None
        self.status = "active"
        self.tiers: list[tuple[str, dt.date]] = []
        self.first_ta = 0

    def end(self, today: dt.date) -> dt.date:
        return self.term or today

    def tier_on(self, day: dt.date) -> str:
        code = self.tiers[0][0]
        for tier, start in self.tiers:
            if start <= day:
                code = tier
        return code


def add_months(day: dt.date, months: int) -> dt.date:
    from careerladder.core.dates import add_months as _add

    return _add(day, months)


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


class Generator:
    def __init__(self, *, technicians: int, sites: int, years: int, seed: int, today: dt.date, log: Callable):
        if sites < 1 or technicians < MATRIX_SITE_POSITIONS + sites - 1:
            raise ValueError(f"Need at least {MATRIX_SITE_POSITIONS + sites - 1} technicians for {sites} sites.")
        self.n_tech, self.n_sites, self.years, self.seed, self.today, self.log = (
            technicians,
            sites,
            years,
            seed,
            today,
            log,
        )
        self.window_start = add_months(today, -12 * years)
        self.now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
        self.counts: dict[str, int] = {}
        self.hires: list[Hire] = []
        self.site_kind: dict[int, str] = {}
        self.site_category: dict[int, str] = {}

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"careerladder-bench:{self.seed}:{stream}")

    # ---- reference data ---------------------------------------------------------------------

    def _load_reference(self) -> None:
        from certifications.models import CertificationType
        from competencies.models import ChecklistItem, Competency
        from tiers.models import Tier
        from training.models import Program

        self.tier_ids = dict(Tier.objects.values_list("code", "pk"))
        missing = [code for code in LADDER if code not in self.tier_ids]
        if missing:
            raise RuntimeError(f"The default ladder is missing ({', '.join(missing)}): run the migrations first.")
        self.required = {
            tier.code: [c.pk for c in tier.required_competencies.order_by("pk")]
            for tier in Tier.objects.prefetch_related("required_competencies")
        }
        self.specialty = {
            tier.code: [c.pk for c in tier.specialty_competencies.order_by("pk")]
            for tier in Tier.objects.prefetch_related("specialty_competencies")
        }
        self.competency = {c.pk: c for c in Competency.objects.all()}
        self.items: dict[int, list] = defaultdict(list)
        for item in ChecklistItem.objects.filter(active=True).order_by("competency_id", "position", "id"):
            self.items[item.competency_id].append(item)
        self.cert_type = dict(CertificationType.objects.values_list("code", "pk"))
        self.programs = list(Program.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))

    # ---- COPY helper --------------------------------------------------------------------------

    def copy(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        from django.db import connection

        started = time.monotonic()
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY FROM STDIN
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.counts[table] = self.counts.get(table, 0) + count
        self.log(f"  {table}: {count:,} rows in {time.monotonic() - started:.1f} s")
        return count

    # ---- the plan ------------------------------------------------------------------------------

    def _sites(self) -> list[tuple[int, int]]:
        """(site id, positions) with positions adding up to ``--technicians``."""
        rng = self.rng("sites")
        weights = []
        for pk in range(1, self.n_sites + 1):
            kind = "hospital" if pk == 1 else KINDS[(pk - 1) % len(KINDS)]
            self.site_kind[pk] = kind
            category = {"hospital": rng.choice("123"), "specialty": rng.choice("12")}.get(kind, "")
            self.site_category[pk] = category
            weights.append(SITE_SIZE[kind] * rng.uniform(0.5, 1.5))
        rest = self.n_tech - MATRIX_SITE_POSITIONS
        other = weights[1:]
        total = sum(other) or 1
        sizes = [max(1, int(rest * w / total)) for w in other]
        short = rest - sum(sizes)
        index = 0
        while short != 0 and sizes:  # spread the rounding remainder
            step = 1 if short > 0 else -1
            if step > 0 or sizes[index % len(sizes)] > 1:
                sizes[index % len(sizes)] += step
                short -= step
            index += 1
        return [(1, MATRIX_SITE_POSITIONS)] + [
            (pk, size) for pk, size in zip(range(2, self.n_sites + 1), sizes, strict=True)
        ]

    def _career(self, rng: random.Random, start_tier: str, hire: dt.date) -> list[tuple[str, dt.date]]:
        tiers = [(start_tier, hire)]
        code, since = start_tier, hire
        while code in PACE:
            share, usual, share_slow, slow = PACE[code]
            if rng.random() >= share:
                break
            low, high, mode = slow if rng.random() < share_slow else usual
            months = rng.triangular(low, high, mode)
            since = since + dt.timedelta(days=int(months * 30.44))
            if since > self.today:
                break
            code = LADDER[LADDER.index(code) + 1]
            tiers.append((code, since))
        return tiers

    def _plan(self) -> None:
        rng = self.rng("workforce")
        today, start = self.today, self.window_start
        next_id = 1
        for site, positions in self._sites():
            site_factor = SITE_TURNOVER[self.site_kind[site]] * TURNOVER_SCALE
            for _ in range(positions):
                hire_date = start - dt.timedelta(days=int(rng.triangular(0, 15 * 365, 2 * 365)))
                while True:
                    tier = _weighted(rng, HIRE_TIER)
                    h = Hire(next_id, site, hire_date)
                    next_id += 1
                    h.tiers = self._career(rng, tier, hire_date)
                    self.hires.append(h)
                    # Month by month from the window's start (or the hire) until a separation.
                    month = max(hire_date, start)
                    left = None
                    while month <= today:
                        tenure = (month - hire_date).days / 365.25
                        code = h.tier_on(month)
                        annual = 0.36 if tenure < 1 else 0.19 if tenure < 3 else 0.11
                        annual *= TIER_TURNOVER[code] * site_factor
                        tier_start = max(s for c, s in h.tiers if s <= month)
                        if (month - tier_start).days > EXPECTED_MONTHS[code] * 30.44:
                            annual *= 2  # stalled technicians leave faster
                        if rng.random() < 1 - (1 - min(annual, 0.95)) ** (1 / 12):
                            left = min(month + _days(rng, 0, 29), today)
                            break
                        month += dt.timedelta(days=30)
                    if left is None:
                        h.status = "leave" if rng.random() < SHARE_ON_LEAVE else "active"
                        break
                    left = max(left, hire_date)
                    h.term, h.status = left, "terminated"
                    h.tiers = [(c, s) for c, s in h.tiers if s <= left] or h.tiers[:1]
                    h.term_type = _weighted(rng, TERMINATION)
                    if h.term_type == "voluntary":
                        h.reason = _weighted(rng, EXIT_REASONS)
                        h.rehire = rng.random() < 0.85
                    gap = 0 if site == 1 else rng.randint(14, 60)
                    hire_date = left + dt.timedelta(days=gap)
                    if hire_date > today:
                        break
            if site % 500 == 0:
                self.log(f"  planned {site:,}/{self.n_sites:,} sites, {len(self.hires):,} technicians")

    # ---- writers -------------------------------------------------------------------------------

    def _reset(self) -> None:
        from django.apps import apps
        from django.db import connection

        owned = {"Site", "Technician", "User", "KpiSnapshot", "KpiRun"}
        tables = ["technicians_site", "technicians_technician", "technicians_user", "metrics_kpisnapshot"]
        for model in apps.get_models():
            name = model.__name__
            if name.startswith("Historical") and model._meta.app_label in (
                "technicians",
                "competencies",
                "tiers",
                "tracks",
                "certifications",
                "incentives",
                "training",
            ):
                tables.append(model._meta.db_table)
            elif name in owned:
                tables.append(model._meta.db_table)
        tables.append("django_session")
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(sorted(set(tables)))} RESTART IDENTITY CASCADE")
        self.log("  emptied the organisation's tables")

    def _write_sites(self) -> None:
        rng = self.rng("site-rows")
        now = self.now

        def rows():
            for pk in range(1, self.n_sites + 1):
                kind = self.site_kind[pk]
                name = f"{'Matrix' if pk == 1 else 'Site'} {pk} {kind.title()} Pharmacy"
                yield (pk, f"S{pk:05d}", name, kind, rng.choice(STATES), self.site_category[pk], now, now)

        self.copy(
            "technicians_site",
            ("id", "code", "name", "kind", "state", "compounding_category", "created_at", "updated_at"),
            rows(),
        )

    def _write_technicians(self) -> None:
        rng = self.rng("technician-rows")
        now = self.now
        # Mentors: an active Tech III or Lead of the same site for most Tech Is.
        mentors_by_site: dict[int, list[int]] = defaultdict(list)
        for h in self.hires:
            if h.term is None and h.tiers[-1][0] in (TECH3, LEAD):
                mentors_by_site[h.site].append(h.id)

        def rows():
            for h in self.hires:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                mentor = None
                if h.term is None and h.tiers[-1][0] == TECH1 and rng.random() < 0.9:
                    pool = mentors_by_site.get(h.site)
                    mentor = rng.choice(pool) if pool else None
                yield (
                    h.id,
                    f"E{h.id:07d}",
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}{h.id}@example.org",
                    h.site,
                    h.hire,
                    h.status,
                    h.term,
                    h.term_type,
                    h.reason,
                    "",
                    h.rehire,
                    mentor,
                    now,
                    now,
                )

        self.copy(
            "technicians_technician",
            (
                "id",
                "employee_id",
                "first_name",
                "last_name",
                "email",
                "site_id",
                "hire_date",
                "status",
                "termination_date",
                "termination_type",
                "exit_reason",
                "exit_notes",
                "would_rehire",
                "mentor_id",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    def _write_users(self) -> None:
        from django.contrib.auth.hashers import make_password

        password = make_password(BENCH_PASSWORD)
        now = self.now
        # The technician login: the employed technician with the longest tier history.
        employed = [h for h in self.hires if h.term is None and h.status == "active"]
        rich = max(employed, key=lambda h: (len(h.tiers), -h.hire.toordinal(), -h.id))
        self.rich_technician = rich.id
        users = [("bench-hr", "hr", None), ("bench-tech", "technician", rich.id)]
        for pk in range(1, self.n_sites + 1):
            users.append((f"mgr{pk:05d}", "manager", None))
            users.append((f"eval{pk:05d}", "evaluator", None))
        self.user_ids = {name: index for index, (name, _, _) in enumerate(users, start=1)}

        def rows():
            for pk, (name, role, tech) in enumerate(users, start=1):
                yield (pk, password, None, False, name, "", "", "", False, True, now, role, tech)

        self.copy(
            "technicians_user",
            (
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "role",
                "technician_id",
            ),
            rows(),
        )

        def links():
            pk = 0
            for site in range(1, self.n_sites + 1):
                for prefix in ("mgr", "eval"):
                    pk += 1
                    yield (pk, self.user_ids[f"{prefix}{site:05d}"], site)

        self.copy("technicians_user_sites", ("id", "user_id", "site_id"), links())

    def _write_tiers(self) -> None:
        now = self.now
        next_id = 1
        for h in self.hires:
            h.first_ta = next_id
            next_id += len(h.tiers)

        def rows():
            pk = 0
            for h in self.hires:
                for index, (code, start) in enumerate(h.tiers):
                    pk += 1
                    end = h.tiers[index + 1][1] if index + 1 < len(h.tiers) else None
                    reason = "hire" if index == 0 else "promotion"
                    yield (pk, h.id, self.tier_ids[code], start, end, reason, "", None, now, now)

        self.copy(
            "tiers_tierassignment",
            (
                "id",
                "technician_id",
                "tier_id",
                "start_date",
                "end_date",
                "reason",
                "note",
                "recorded_by_id",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

        # Approved promotions behind the last year's promotions.
        year_ago = add_months(self.today, -12)

        def promotions():
            pk = 0
            for h in self.hires:
                manager = self.user_ids[f"mgr{h.site:05d}"]
                for index in range(1, len(h.tiers)):
                    code, start = h.tiers[index]
                    if start < year_ago:
                        continue
                    pk += 1
                    decided = dt.datetime.combine(start - dt.timedelta(days=7), dt.time(15), tzinfo=dt.UTC)
                    yield (
                        pk,
                        h.id,
                        self.tier_ids[h.tiers[index - 1][0]],
                        self.tier_ids[code],
                        start,
                        "approved",
                        "Meets every requirement of the next tier.",
                        "",
                        "",
                        manager,
                        manager,
                        decided,
                        True,
                        h.first_ta + index,
                        decided,
                        decided,
                    )

        self.copy(
            "tiers_promotion",
            (
                "id",
                "technician_id",
                "from_tier_id",
                "to_tier_id",
                "effective_date",
                "status",
                "note",
                "justification",
                "rejection_reason",
                "nominated_by_id",
                "decided_by_id",
                "decided_at",
                "eligible_at_decision",
                "tier_assignment_id",
                "created_at",
                "updated_at",
            ),
            promotions(),
        )

    def _rounds(self):
        """Yield (round id, hire, competency id, number, started, achieved, expires, interval) for
        every competency round; the same sequence on every call (its own random stream)."""
        rng = self.rng("competency-rounds")
        pk = 0
        horizon = add_months(self.window_start, -12)
        for h in self.hires:
            end = h.end(self.today)
            wanted: list[tuple[int, dt.date]] = []
            for index, (code, start) in enumerate(h.tiers):
                if code == TECH1:
                    continue
                first = start - _days(rng, 10, 60) if index else start + _days(rng, 20, 90)
                for comp in self.required.get(code, []):
                    wanted.append((comp, first))
                if self.specialty.get(code):
                    wanted.append((rng.choice(self.specialty[code]), first))
            seen = set()
            for comp, first in wanted:
                if comp in seen:
                    continue
                seen.add(comp)
                interval = self.competency[comp].revalidation_months
                if comp in self._usp797 and interval:
                    interval = 3 if self.site_category[h.site] == "3" else 6
                achieved, number = first, 1
                while achieved <= end and achieved <= self.today:
                    expires = add_months(achieved, interval) if interval else None
                    if achieved >= horizon:
                        pk += 1
                        yield (pk, h, comp, number, achieved - _days(rng, 14, 45), achieved, expires, interval)
                    if not expires or rng.random() < SHARE_LAPSED:
                        break
                    achieved, number = expires - _days(rng, 1, 20), number + 1
            # Progress towards the next tier: an open round on one of its competencies.
            current = h.tiers[-1][0]
            if h.term is None and current != LEAD and rng.random() < 0.45:
                nxt = LADDER[LADDER.index(current) + 1]
                options = [c for c in self.required.get(nxt, []) if c not in seen]
                if options:
                    pk += 1
                    started = self.today - _days(rng, 5, 90)
                    yield (pk, h, rng.choice(options), 1, max(started, h.hire), None, None, None)

    def _write_competencies(self) -> None:
        now = self.now
        self._usp797 = {pk for pk, c in self.competency.items() if c.usp797_kind}

        def rounds():
            for pk, h, comp, number, started, achieved, expires, interval in self._rounds():
                yield (pk, h.id, comp, number, started, achieved, expires, interval, now, now)

        self.copy(
            "competencies_competencyround",
            (
                "id",
                "technician_id",
                "competency_id",
                "number",
                "started_on",
                "achieved_on",
                "expires_on",
                "interval_months",
                "created_at",
                "updated_at",
            ),
            rounds(),
        )
        detail = self.rng("signoffs")

        def signoffs():
            pk = 0
            for round_id, h, comp, number, started, achieved, _expires, _interval in self._rounds():
                evaluator = self.user_ids[f"eval{h.site:05d}"]
                items = self.items[comp]
                if achieved is None:  # an open round: some items done
                    items = items[: detail.randint(0, max(0, len(items) - 1))]
                    achieved = self.today
                span = max(0, (achieved - started).days)
                for item in items:
                    if number > 1 and item.initial_only:
                        continue
                    for _ in range(item.passes_required if number == 1 else 1):
                        pk += 1
                        measurement = None
                        if item.measure == "cfu":
                            measurement = 0
                        elif item.measure == "tct":
                            measurement = 99.9
                        signed = started + dt.timedelta(days=detail.randint(0, span)) if span else started
                        yield (
                            pk,
                            round_id,
                            item.pk,
                            h.id,
                            evaluator,
                            None,
                            min(signed, achieved),
                            detail.choice(METHODS),
                            "pass",
                            measurement,
                            "",
                            now,
                            now,
                        )

        self.copy(
            "competencies_signoff",
            (
                "id",
                "round_id",
                "item_id",
                "technician_id",
                "evaluator_id",
                "evaluator_technician_id",
                "signed_on",
                "method",
                "result",
                "measurement",
                "comment",
                "created_at",
                "updated_at",
            ),
            signoffs(),
        )

    def _write_evaluations(self) -> None:
        rng = self.rng("evaluations")
        now = self.now
        current = self.today.replace(day=1)
        months = [add_months(current, -k) for k in range(12, 0, -1)]

        def rows():
            pk = 0
            for h in self.hires:
                level = rng.gauss(3.3, 0.5)
                evaluator = self.user_ids[f"eval{h.site:05d}"]
                for month in months:
                    if h.hire > month or (h.term and h.term < add_months(month, 1)):
                        continue
                    scores = [max(1, min(5, round(rng.gauss(level, 0.6)))) for _ in range(5)]
                    pk += 1
                    acknowledged = now if rng.random() < 0.8 else None
                    yield (
                        pk,
                        h.id,
                        month,
                        *scores,
                        round(sum(scores) / 5, 2),
                        "",
                        evaluator,
                        acknowledged,
                        "",
                        now,
                        now,
                    )

        self.copy(
            "tiers_evaluation",
            (
                "id",
                "technician_id",
                "month",
                "accuracy",
                "productivity",
                "teamwork",
                "compliance",
                "communication",
                "overall",
                "comments",
                "evaluator_id",
                "acknowledged_at",
                "technician_comment",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    def _write_certifications(self) -> None:
        rng = self.rng("certifications")
        now = self.now
        horizon = add_months(self.window_start, -24)
        cpht, bls, cspt, state = (self.cert_type[c] for c in ("CPHT", "BLS", "CSPT", "STATE_REG"))
        assessments = [
            self.cert_type[c]
            for c in ("TPV", "MED_HISTORY", "HD_MGMT", "BILLING", "CSDP", "IMMUNIZATION", "POCT", "SUPPLY_CHAIN")
        ]
        certs, credits, tests, extensions = [], [], [], []
        self.cpht_issued: dict[int, dt.date] = {}

        def renewals(issued: dt.date, months: int, end: dt.date):
            while issued <= end:
                expires = add_months(issued, months)
                if expires > horizon:
                    yield issued, expires
                if rng.random() < 0.03:
                    return  # lapsed
                issued = expires - _days(rng, 1, 30)

        for h in self.hires:
            end = h.end(self.today)
            deadline = add_months(h.hire, 9)
            roll = rng.random()
            if roll < 0.14:
                first = h.hire - _days(rng, 30, 900)
            elif roll < 0.88:
                first = h.hire + _days(rng, 45, 270)
            elif roll < 0.96:
                first = deadline + _days(rng, 10, 240)
            else:
                first = None
            if first and first > end:
                first = None
            if first:
                self.cpht_issued[h.id] = first
                for issued, expires in renewals(first, 24, end):
                    certs.append((h.id, cpht, issued, expires, True))
                    # CE credits of the cycle that ends with this certificate's expiry.
                    cycle_end = min(expires, end)
                    span = (cycle_end - issued).days
                    if span > 30 and expires > self.window_start:
                        target = 20 * min(1.0, span / 730) * rng.uniform(0.6, 1.3)
                        hours = 0.0
                        while hours < target:
                            credit_hours = rng.choice((1.0, 1.0, 1.5, 2.0, 2.0, 3.0))
                            done = issued + dt.timedelta(days=rng.randint(0, span - 1))
                            credits.append((h.id, done, _weighted(rng, CE_TOPICS), credit_hours))
                            hours += credit_hours
            # Practice tests before the exam (or up to today for those still preparing).
            if (first is None or first > h.hire) and h.hire > horizon:
                exam = first or min(end, deadline + dt.timedelta(days=60))
                count = rng.randint(2, 5)
                score = rng.randint(48, 66)
                for k in range(count):
                    taken = h.hire + dt.timedelta(days=int((exam - h.hire).days * (k + 1) / (count + 1)))
                    score = min(100, score + rng.randint(0, 10))
                    tests.append((h.id, taken, score))
            # PTCB extension for some overdue technicians.
            if first is None or first > deadline:
                if deadline < end and rng.random() < 0.35:
                    extensions.append((h.id, deadline + _days(rng, 60, 180), deadline - _days(rng, 1, 20)))
            if rng.random() < 0.7:
                certs.append((h.id, state, h.hire - _days(rng, 0, 60), None, True))
            kind = self.site_kind[h.site]
            if kind in ("hospital", "clinic") and rng.random() < 0.8:
                for issued, expires in renewals(h.hire + _days(rng, 0, 60), 24, end):
                    certs.append((h.id, bls, issued, expires, True))
            if kind in ("hospital", "specialty") and h.tiers[-1][0] != TECH1 and rng.random() < 0.25:
                for issued, expires in renewals(h.tiers[1][1] if len(h.tiers) > 1 else h.hire, 12, end):
                    certs.append((h.id, cspt, issued, expires, True))
            if h.tiers[-1][0] in (TECH3, LEAD):
                for type_id in rng.sample(assessments, rng.randint(1, 3)):
                    certs.append((h.id, type_id, h.tiers[-1][1] - _days(rng, 30, 400), None, True))
            if h.term is None and rng.random() < 0.01:
                certs.append((h.id, bls, self.today - _days(rng, 1, 30), None, False))

        def cert_rows():
            for pk, (tech, type_id, issued, expires, verified) in enumerate(certs, start=1):
                verified_at = dt.datetime.combine(issued, dt.time(12), tzinfo=dt.UTC) if verified else None
                yield (
                    pk,
                    tech,
                    type_id,
                    f"{rng.randint(100000, 999999)}",
                    issued,
                    expires,
                    "",
                    not verified,
                    None,
                    verified_at,
                    None,
                    None,
                    None,
                    "",
                    now,
                    now,
                )

        self.copy(
            "certifications_certification",
            (
                "id",
                "technician_id",
                "type_id",
                "number",
                "issued_on",
                "expires_on",
                "evidence",
                "self_reported",
                "verified_by_id",
                "verified_at",
                "recorded_by_id",
                "rejected_at",
                "rejected_by_id",
                "rejection_reason",
                "created_at",
                "updated_at",
            ),
            cert_rows(),
        )
        certs.clear()

        def credit_rows():
            sequence: dict[int, int] = defaultdict(int)
            for pk, (tech, done, topic, hours) in enumerate(credits, start=1):
                sequence[tech] += 1
                n = sequence[tech]
                provider = CE_PROVIDERS[n % len(CE_PROVIDERS)]
                audience = "P" if n % 9 == 0 else "T"
                # Unique per technician: the provider's sequence number is the credit's rank.
                uan = f"{provider}-0000-{done.year % 100:02d}-{n % 1000:03d}-H{topic}-{audience}"
                yield (
                    pk,
                    tech,
                    done,
                    f"Pharmacy technician CE, topic {topic}",
                    "Bench CE Provider",
                    uan,
                    "H",
                    topic,
                    audience,
                    hours,
                    "",
                    None,
                    now,
                    now,
                )

        self.copy(
            "certifications_cecredit",
            (
                "id",
                "technician_id",
                "completed_on",
                "title",
                "provider",
                "uan",
                "activity_type",
                "topic",
                "audience",
                "hours",
                "evidence",
                "recorded_by_id",
                "created_at",
                "updated_at",
            ),
            credit_rows(),
        )
        credits.clear()

        def test_rows():
            for pk, (tech, taken, score) in enumerate(tests, start=1):
                domains = {
                    name: max(0, min(100, score + rng.randint(-12, 12)))
                    for name in ("medications", "federal_requirements", "patient_safety", "order_entry")
                }
                yield (pk, tech, taken, "Medical Hero", score, json.dumps(domains), None, now, now)

        self.copy(
            "certifications_practicetest",
            (
                "id",
                "technician_id",
                "taken_on",
                "source",
                "score",
                "domain_scores",
                "recorded_by_id",
                "created_at",
                "updated_at",
            ),
            test_rows(),
        )

        def extension_rows():
            for pk, (tech, to, granted) in enumerate(extensions, start=1):
                yield (pk, tech, to, "Exam rescheduled after a testing-centre cancellation.", granted, None, now, now)

        self.copy(
            "certifications_ptcbextension",
            ("id", "technician_id", "extended_to", "reason", "granted_on", "granted_by_id", "created_at", "updated_at"),
            extension_rows(),
        )
        from certifications.services import ptcb_extensions_store_latest

        ptcb_extensions_store_latest()

    def _write_training(self) -> None:
        rng = self.rng("training")
        now = self.now
        today = self.today

        def rows():
            pk = 0
            for h in self.hires:
                begin = max(h.hire, self.window_start)
                end = h.end(today)
                span = (end - begin).days
                if span <= 0:
                    continue
                count = sum(1 for _ in range(max(1, round(span / 365.25 * 4))) if rng.random() < 0.5)
                for _ in range(count):
                    assigned = begin + dt.timedelta(days=rng.randint(0, span))
                    due = assigned + _days(rng, 30, 90)
                    started = completed = None
                    if due <= today:
                        roll = rng.random()
                        if roll < 0.72:
                            completed = assigned + dt.timedelta(days=rng.randint(0, (due - assigned).days))
                        elif roll < 0.87:
                            completed = due + _days(rng, 1, 60)
                        if completed and (completed > end or completed > today):
                            completed = None
                    elif rng.random() < 0.3:
                        completed = min(today, assigned + _days(rng, 0, 30))
                    if completed or rng.random() < 0.5:
                        started = min(assigned + _days(rng, 0, 10), completed or today)
                        if started < assigned:
                            started = assigned
                    pk += 1
                    manager = self.user_ids[f"mgr{h.site:05d}"]
                    yield (
                        pk,
                        h.id,
                        rng.choice(self.programs),
                        assigned,
                        due,
                        started,
                        completed,
                        manager,
                        "",
                        now,
                        now,
                    )

        self.copy(
            "training_trainingassignment",
            (
                "id",
                "technician_id",
                "program_id",
                "assigned_on",
                "due_on",
                "started_on",
                "completed_on",
                "assigned_by_id",
                "note",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    def _finish(self) -> None:
        """Move every sequence past the ids written, then refresh the planner's statistics."""
        from django.db import connection

        tables = [t for t in self.counts if self.counts[t]]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))",  # noqa: S608 - our table names
                    [table],
                )
            started = time.monotonic()
            cursor.execute("ANALYZE")
        self.log(f"  sequences moved, ANALYZE in {time.monotonic() - started:.1f} s")

    def run(self) -> dict:
        from django.db import connection, transaction

        if connection.vendor != "postgresql":
            raise RuntimeError("The benchmark generator writes with COPY: point DATABASE_URL at Postgres.")
        began = time.monotonic()
        self._load_reference()
        self.log(
            f"Generating {self.n_tech:,} positions at {self.n_sites:,} sites, {self.years} years to {self.today}"
            f" (seed {self.seed})"
        )
        self._plan()
        employed = sum(1 for h in self.hires if h.term is None)
        self.log(f"  plan: {len(self.hires):,} technician records, {employed:,} employed today")
        steps = (
            self._reset,
            self._write_sites,
            self._write_technicians,
            self._write_users,
            self._write_tiers,
            self._write_competencies,
            self._write_evaluations,
            self._write_certifications,
            self._write_training,
        )
        with transaction.atomic():
            with connection.cursor() as cursor:
                # The rows are consistent by construction: skip the per-row foreign-key
                # triggers while loading (a superuser setting; without it the load is slower).
                try:
                    with transaction.atomic():
                        cursor.execute("SET LOCAL session_replication_role = replica")
                except Exception:  # noqa: BLE001 - not a superuser: load with the checks on
                    self.log("  (foreign-key checks stay on: not allowed to change session_replication_role)")
            for step in steps:
                step()
        self._finish()
        elapsed = time.monotonic() - began
        self.log(f"Generated {sum(self.counts.values()):,} rows in {elapsed:.0f} s")
        return {
            "rows": dict(self.counts),
            "technician_records": len(self.hires),
            "employed": employed,
            "seconds": elapsed,
            "rich_technician": self.rich_technician,
        }


def generate(
    *,
    technicians: int = 20_000,
    sites: int = 2_000,
    years: int = 5,
    seed: int = 42,
    today: dt.date | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Empty the organisation's data and write the data set; returns row counts per table."""
    from django.utils import timezone

    return Generator(
        technicians=technicians, sites=sites, years=years, seed=seed, today=today or timezone.localdate(), log=log
    ).run()


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--technicians", type=int, default=20_000, help="Positions (employed headcount).")
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=5, help="Years of history.")
    parser.add_argument("--seed", type=int, default=42)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_scale_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")
    import django

    django.setup()
    generate(technicians=args.technicians, sites=args.sites, years=args.years, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
