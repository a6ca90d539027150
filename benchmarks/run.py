"""``make bench``: generate the data set, then measure CareerLadder against its floors.

``python -m benchmarks.run [--technicians N] [--sites N] [--years N] [--seed N] [--full]``
with ``DATABASE_URL`` pointing at the benchmark database (Postgres; its content is replaced).
In one process run it:

1. generates the data set (``benchmarks.generate``, COPY) unless ``--skip-generate``;
2. backfills the monthly KPI snapshots of every month of the history, every site and the
   organisation, through a real Celery worker with concurrency 2 on Redis
   (``--broker``, a Redis database of its own), timed from queueing to the last row written;
   then the nightly job the same way. Both are divided by the database floor: one raw SQL
   aggregate that reads the same tables (technicians, tier assignments, training assignments,
   certifications, PTCB extensions) once, grouped by site and month;
3. times pages in process with ``django.test.Client`` through the whole middleware stack
   (median of ``--repeat`` runs after a warm-up) and divides each by the framework floor, a
   logged-in view that renders the base template and nothing else (served by the benchmark's
   own URLconf, ``benchmarks.urls``, so production has no such route);
4. counts the queries of each page here and on a small data set (``--small-technicians`` in
   the database ``--small-database-url``, measured by a child process of this command);
5. serves the app with gunicorn on a free loopback port (DEBUG off) and drives the manager
   dashboard with locust, headless, for ``--load-seconds`` (``benchmarks/locustfile_dashboard.py``);
6. runs the import benchmark (``benchmarks.imports``) when that module exists;
7. prints the results as markdown and writes them between the markers of
   ``docs/benchmarks.md`` (``--output``), keeping the hand-written notes around them.

``--baseline FILE`` (a JSON written earlier with ``--save-json``) adds a "before" column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MARK_START = "<!-- results:start -->"
MARK_END = "<!-- results:end -->"
PAGE_LIMIT_MS = 150
FLOOR_RATIO = 3
BACKFILL_LIMIT_S = 120
P95_LIMIT_MS = 300


def _log(message: str) -> None:
    print(message, flush=True)


# ---- setup ----------------------------------------------------------------------------------------


def _setup_django(broker: str | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")
    os.environ["DEBUG"] = "false"
    # As in production: one Redis cache shared by this process and the gunicorn workers of the
    # load test (careerladder/core/versions.py), emptied before measuring.
    os.environ.setdefault("CACHE_URL", os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"))
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
        os.environ["CELERY_RESULT_BACKEND"] = broker
    import django

    django.setup()


def _small_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_small"))


def ensure_database(url: str) -> None:
    """Create the Postgres database of ``url`` when it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# ---- timing helpers ---------------------------------------------------------------------------


def _median_ms(fn, *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def _row(measure, value, *, unit, floor=None, target="", met=None, group="", key="", estimated=False) -> dict:
    ratio = value / floor if floor else None
    return {
        "key": key or measure,
        "estimated": estimated,
        "group": group,
        "measure": measure,
        "value": value,
        "unit": unit,
        "floor": floor,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


# ---- pages --------------------------------------------------------------------------------------


def page_plan() -> list[dict]:
    """The pages measured, each with its login and URL (picked from the generated data)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from careerladder.core.dates import add_months
    from technicians.models import Site, User

    today = timezone.localdate()
    sites = list(
        Site.objects.annotate(n=Count("technicians", filter=~Q(technicians__status="terminated")))
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    median_site = sites[len(sites) // 2][0]
    matrix_site = max(sites, key=lambda s: (s[1] == 50, s[1] <= 50 and s[1], -s[0]))[0]
    manager = User.objects.get(role="manager", sites=median_site)
    matrix_manager = User.objects.get(role="manager", sites=matrix_site)
    tech_user = User.objects.filter(role="technician", technician__isnull=False).order_by("pk").first()
    hr = User.objects.filter(role="hr").order_by("pk").first()
    start = add_months(today.replace(day=1), -11)
    # ``site``: where the write happens before a "first request after a write" (a site the
    # page shows; for organisation-wide pages the median site).
    tech_site = tech_user.technician.site_id
    return [
        {
            "name": "Framework floor (base template)",
            "key": "floor",
            "user": manager,
            "url": "/bench-floor/",
            "site": median_site,
        },
        {
            "name": "Manager dashboard (one site)",
            "key": "dashboard",
            "user": manager,
            "url": "/dashboard/",
            "site": median_site,
        },
        {"name": "Technician /me/", "key": "me", "user": tech_user, "url": "/me/", "site": tech_site},
        {
            "name": "Training matrix (site of 50)",
            "key": "matrix",
            "user": matrix_manager,
            "url": f"/training/matrix/?site={matrix_site}",
            "site": matrix_site,
        },
        {
            "name": "Technicians API list (hr)",
            "key": "api_technicians",
            "user": hr,
            "url": "/api/v1/technicians/",
            "site": median_site,
        },
        {
            "name": "KPI API, 12 months, organisation (hr)",
            "key": "api_kpis",
            "user": hr,
            "url": f"/api/v1/kpis/?start={start:%Y-%m-%d}&end={today:%Y-%m-%d}",
            "site": median_site,
        },
    ]


def measure_pages(*, repeat: int) -> tuple[dict[str, float], dict[str, int], list[dict]]:
    """Median server time (ms) and query count of every page, in process.

    Each page twice: as a reload finds it (``key``: the cached reads of
    ``careerladder.core.versions`` are warm) and as the first request after a write at one of
    the sites it shows (``key + "_cold"``: that site's data versions moved on before each
    request, so what depends on the site is computed again)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from careerladder.core import versions

    cache.clear()
    times, queries = {}, {}
    plan = page_plan()
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        for page in plan:
            client = Client()
            client.force_login(page["user"])

            def get(page=page, client=client):
                response = client.get(page["url"])
                if response.status_code != 200:
                    raise RuntimeError(f"{page['url']} answered {response.status_code} for {page['user']}")
                return response

            def get_cold(get=get, site=page["site"]):
                versions.touch_sites([site])
                return get()

            key = page["key"]
            get()  # warm caches and connections
            with CaptureQueriesContext(connection) as captured:
                get_cold()
            queries[f"{key}_cold"] = len(captured.captured_queries)
            with CaptureQueriesContext(connection) as captured:
                get()
            queries[key] = len(captured.captured_queries)
            times[key] = _median_ms(get, repeat=repeat)
            cold = []
            for _ in range(max(3, repeat // 3)):
                versions.touch_sites([page["site"]])
                began = time.perf_counter()
                get()
                cold.append((time.perf_counter() - began) * 1000)
            times[f"{key}_cold"] = statistics.median(cold)
            _log(
                f"  {page['name']}: {times[key]:.1f} ms, {queries[key]} queries; after a write "
                f"{times[f'{key}_cold']:.1f} ms, {queries[f'{key}_cold']} queries"
            )
    return times, queries, plan


# ---- KPI jobs ---------------------------------------------------------------------------------------

FLOOR_SQL = """
WITH techs AS (
    SELECT site_id, date_trunc('month', hire_date) AS month,
           count(*) AS hires,
           count(*) FILTER (WHERE termination_type = 'voluntary') AS voluntary,
           count(*) FILTER (WHERE termination_date IS NOT NULL) AS leavers
    FROM technicians_technician GROUP BY 1, 2
), tiers AS (
    SELECT t.site_id, date_trunc('month', a.start_date) AS month, count(*) AS assignments,
           count(*) FILTER (WHERE a.end_date IS NULL) AS open_assignments
    FROM tiers_tierassignment a JOIN technicians_technician t ON t.id = a.technician_id GROUP BY 1, 2
), training AS (
    SELECT t.site_id, date_trunc('month', a.due_on) AS month, count(*) AS due,
           count(*) FILTER (WHERE a.completed_on <= a.due_on) AS on_time
    FROM training_trainingassignment a JOIN technicians_technician t ON t.id = a.technician_id GROUP BY 1, 2
), certs AS (
    SELECT t.site_id, date_trunc('month', c.issued_on) AS month, count(*) AS issued
    FROM certifications_certification c JOIN technicians_technician t ON t.id = c.technician_id
    WHERE c.verified_at IS NOT NULL GROUP BY 1, 2
), extensions AS (
    SELECT t.site_id, date_trunc('month', e.extended_to) AS month, count(*) AS extended
    FROM certifications_ptcbextension e JOIN technicians_technician t ON t.id = e.technician_id GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM techs), (SELECT sum(assignments) FROM tiers), (SELECT sum(due) FROM training),
       (SELECT sum(issued) FROM certs), (SELECT count(*) FROM extensions)
"""


def database_floor_ms(*, repeat: int) -> float:
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            cursor.fetchall()

    return _median_ms(run, repeat=repeat, warmup=1)


class Worker:
    """A real Celery worker (prefork, concurrency 2) on the benchmark's broker."""

    def __init__(self, *, broker: str, concurrency: int = 2):
        self.broker, self.concurrency, self.process = broker, concurrency, None

    def __enter__(self):
        from careerladder.celery import app

        app.control.purge()
        env = {**os.environ, "CELERY_BROKER_URL": self.broker, "CELERY_RESULT_BACKEND": self.broker}
        self.log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "careerladder",
                "worker",
                "-c",
                str(self.concurrency),
                "-P",
                "prefork",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker stopped; see {self.log.name}")
            if app.control.ping(destination=[f"bench-{os.getpid()}@{socket.gethostname()}"], timeout=1):
                return self
        raise RuntimeError(f"The Celery worker did not answer within 90 s; see {self.log.name}")

    def __exit__(self, *exc):
        from careerladder.celery import app

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # unfinished tasks are abandoned
            self.process.wait(timeout=30)
        app.control.purge()
        Path(self.log.name).unlink(missing_ok=True)


def _wait_for_snapshots(*, since, months, expected: int, timeout: float, label: str) -> float:
    from metrics.models import KpiSnapshot

    began = time.monotonic()
    last = -1
    while True:
        done = KpiSnapshot.objects.filter(computed_at__gte=since, month__in=months).count()
        if done != last:
            _log(f"  {label}: {done:,}/{expected:,} snapshots ({time.monotonic() - began:.0f} s)")
            last = done
        if done >= expected:
            return {"seconds": time.monotonic() - began, "estimated": False, "done": done, "expected": expected}
        elapsed = time.monotonic() - began
        if elapsed > timeout:
            if not done:
                raise RuntimeError(f"{label}: no snapshot written in {timeout:.0f} s")
            _log(f"  {label}: stopped after {elapsed:.0f} s; estimating from the rate so far")
            return {"seconds": elapsed * expected / done, "estimated": True, "done": done, "expected": expected}
        time.sleep(0.5 if done else 0.2)


def measure_kpi_jobs(*, broker: str, years: int, timeout: float) -> dict:
    """Backfill (every month of the history) and the nightly job through a 2-process worker."""
    from django.utils import timezone

    from careerladder.core.dates import add_months
    from metrics import kpis, services
    from metrics.tasks import kpi_snapshots_fan_out, kpi_snapshots_nightly
    from technicians.models import Site

    today = timezone.localdate()
    months = kpis.months_from_to(add_months(today.replace(day=1), -12 * years), today)
    scopes = Site.objects.count() + 1
    result = {"months": len(months), "scopes": scopes}
    with Worker(broker=broker):
        since = timezone.now()
        kpi_snapshots_fan_out.delay([services.month_label(m) for m in months], None, None)
        backfill = _wait_for_snapshots(
            since=since, months=months, expected=len(months) * scopes, timeout=timeout, label="backfill"
        )
    result["backfill_s"], result["backfill_estimated"] = backfill["seconds"], backfill["estimated"]
    with Worker(broker=broker):  # a fresh worker and an empty queue
        nightly = services.nightly_months(today=today)
        since = timezone.now()
        kpi_snapshots_nightly.delay()
        run = _wait_for_snapshots(
            since=since, months=nightly, expected=len(nightly) * scopes, timeout=timeout, label="nightly"
        )
    result["nightly_s"], result["nightly_estimated"] = run["seconds"], run["estimated"]
    if backfill["estimated"]:
        # The pages read the trend months: make sure the scopes they show have them.
        trend = kpis.months_from_to(add_months(today.replace(day=1), -11), today)
        for site_id in [None, *_page_site_ids()]:
            services.kpi_snapshots_compute(site_id=site_id, months=trend, today=today)
    return result


def _page_site_ids() -> list[int]:

    ids = set()
    for page in page_plan():
        ids.update(page["user"].sites.values_list("pk", flat=True))
    for user in _load_managers(16):
        ids.update(user.sites.values_list("pk", flat=True))
    return sorted(ids)


def _load_managers(count: int):
    from django.db.models import Count, Q

    from technicians.models import User

    return list(
        User.objects.filter(role="manager")
        .annotate(n=Count("sites__technicians", filter=~Q(sites__technicians__status="terminated")))
        .order_by("-n", "pk")[:count]
    )


# ---- load ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sessions(users) -> list[str]:
    """Session keys of logged-in ``users``, made by Django's own ``login()`` (so every
    ``user_logged_in`` receiver runs, as for the login form)."""
    from django.conf import settings
    from django.test import Client

    keys = []
    for user in users:
        client = Client()
        client.force_login(user)
        keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return keys


def measure_load(*, seconds: int, users: int, workers: int) -> dict:
    from django.conf import settings

    managers = _load_managers(16)
    cookies = _sessions(managers)
    port = _free_port()
    env = {**os.environ, "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "careerladder.settings.base"}
    gunicorn = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "careerladder.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if gunicorn.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        for _ in range(workers * 3):  # every worker has imported the app and opened its connection
            _http_get(port, "/health/")
        with tempfile.TemporaryDirectory(prefix="bench-locust-") as tmp:
            prefix = Path(tmp) / "stats"
            locust_env = {
                **os.environ,
                "BENCH_SESSION_KEYS": ",".join(cookies),
                "BENCH_SESSION_COOKIE": settings.SESSION_COOKIE_NAME,
            }
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(ROOT / "benchmarks" / "locustfile_dashboard.py"),
                    "--headless",
                    "-u",
                    str(users),
                    "-r",
                    str(users),
                    "-t",
                    f"{seconds}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=locust_env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            return _locust_summary(Path(f"{prefix}_stats.csv"), seconds=seconds, users=users, workers=workers)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)


def _http_get(port: int, path: str) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _locust_summary(path: Path, *, seconds: int, users: int, workers: int) -> dict:
    import csv

    with path.open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows.get("Aggregated") or next(iter(rows.values()))
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": _number(total["Requests/s"]),
        "p50_ms": _number(total["50%"]),
        "p95_ms": _number(total["95%"]),
        "users": users,
        "workers": workers,
        "seconds": seconds,
    }


# ---- small data set (query counts at a second size) --------------------------------------------------


def small_queries(args) -> dict[str, int]:
    """Generate the small data set in its own database and count the pages' queries there,
    in a child process (Django is configured for one database per process)."""
    url = args.small_database_url
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--queries-only",
            "--technicians",
            str(args.small_technicians),
            "--sites",
            str(args.small_sites),
            "--years",
            str(args.years),
            "--seed",
            str(args.seed),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def queries_only(args) -> None:
    """Child mode: generate a data set, snapshot the trend months in process, print the query
    counts of every page as one JSON line."""
    from django.utils import timezone

    from benchmarks.generate import generate
    from metrics import kpis, services
    from metrics.selectors import trend_months

    generate(technicians=args.technicians, sites=args.sites, years=args.years, seed=args.seed, log=lambda m: None)
    today = timezone.localdate()
    months = trend_months(today=today)
    services.kpi_snapshots_compute_all(months=kpis.months_from_to(months[0], months[-1]), today=today)
    _, queries, _ = measure_pages(repeat=1)
    print(json.dumps(queries))


# ---- imports (another module's benchmark) ----------------------------------------------------------


def measure_imports(rows: int) -> list[dict] | None:
    if importlib.util.find_spec("benchmarks.imports") is None:
        return None
    from benchmarks import imports

    return imports.run(rows=rows)


# ---- report ----------------------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    mem = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "postgres": pg,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.1f} s"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def build_rows(results: dict) -> list[dict]:
    rows = []
    times, floor = results["times"], results["times"]["floor"]
    rows.append(_row("Framework floor (base template)", floor, unit="ms", group="Pages", target="—"))
    for page in results["pages"][1:]:
        for suffix, label in (("", ""), ("_cold", ", first request after a write at a site it shows")):
            key = page["key"] + suffix
            if key not in times:
                continue
            value = times[key]
            if suffix:
                # Computed again from the database: held to the absolute bound a user notices.
                target, met = f"< {PAGE_LIMIT_MS} ms", value < PAGE_LIMIT_MS
            else:
                target = f"≤ {FLOOR_RATIO}× floor and < {PAGE_LIMIT_MS} ms"
                met = value < PAGE_LIMIT_MS and value / floor <= FLOOR_RATIO
            rows.append(
                _row(
                    page["name"] + label, value, unit="ms", key=key, floor=floor, target=target, met=met, group="Pages"
                )
            )
    jobs = results.get("jobs")
    if jobs:
        db_floor = results["db_floor_ms"] / 1000
        rows.append(_row("Database floor (one aggregate over the KPI tables)", db_floor, unit="s", group="KPI jobs"))
        rows.append(
            _row(
                f"Full backfill ({jobs['months']} months × {jobs['scopes']:,} scopes, 2 workers)"
                + (" (estimated: stopped early)" if jobs.get("backfill_estimated") else ""),
                jobs["backfill_s"],
                unit="s",
                key="backfill",
                estimated=bool(jobs.get("backfill_estimated")),
                floor=db_floor,
                target=f"< {BACKFILL_LIMIT_S} s",
                met=jobs["backfill_s"] < BACKFILL_LIMIT_S,
                group="KPI jobs",
            )
        )
        rows.append(
            _row(
                f"Nightly job (2 months × {jobs['scopes']:,} scopes, 2 workers)"
                + (" (estimated: stopped early)" if jobs.get("nightly_estimated") else ""),
                jobs["nightly_s"],
                unit="s",
                key="nightly",
                estimated=bool(jobs.get("nightly_estimated")),
                floor=db_floor,
                target=f"≤ {FLOOR_RATIO}× floor",
                met=jobs["nightly_s"] <= FLOOR_RATIO * db_floor,
                group="KPI jobs",
            )
        )
    small, large = results.get("queries_small") or {}, results["queries"]
    for page in results["pages"]:
        for suffix, label in (("", ""), ("_cold", ", after a write")):
            key = page["key"] + suffix
            if key in small and key in large:
                rows.append(
                    _row(
                        f"Queries: {page['name']}{label}",
                        f"{large[key]} / {small[key]}",
                        unit="",
                        key=f"queries:{key}",
                        target="identical at both sizes",
                        met=large[key] == small[key],
                        group="Query counts (large / small)",
                    )
                )
    load = results.get("load")
    if load:
        label = f"dashboard, {load['users']} users, {load['workers']} gunicorn workers, {load['seconds']} s"
        rows.append(_row(f"Throughput ({label})", f"{load['rps']:.1f} req/s", unit="", group="Load", target="—"))
        rows.append(_row("p50", load["p50_ms"], unit="ms", group="Load", target="—"))
        rows.append(
            _row(
                "p95",
                load["p95_ms"],
                unit="ms",
                group="Load",
                target=f"< {P95_LIMIT_MS} ms",
                met=load["p95_ms"] < P95_LIMIT_MS,
            )
        )
        rows.append(
            _row(
                f"Errors ({load['requests']:,} requests)",
                load["errors"],
                unit="",
                key="errors",
                group="Load",
                target="0",
                met=load["errors"] == 0,
            )
        )
    for item in results.get("imports") or []:
        rows.append(
            {
                "key": f"imports:{item['measure']}",
                "group": "Imports",
                "measure": item["measure"],
                "value": item["value"],
                "unit": "",
                "floor": None,
                "ratio": None,
                "target": item.get("target", ""),
                "met": item.get("met"),
            }
        )
    return rows


def render(results: dict, *, baseline: dict | None = None) -> str:
    rows = build_rows(results)
    before = {row["key"]: row for row in build_rows(baseline)} if baseline else {}
    info = results["machine"]
    scale = results["scale"]
    lines = [
        f"Run on {results['date']}: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"PostgreSQL {info['postgres']}, Python {info['python']}, {info['os']}.",
        "",
        f"Data set: {scale['technicians']:,} positions at {scale['sites']:,} sites, {scale['years']} years "
        f"(seed {scale['seed']}): {results['generated']['technician_records']:,} technician records "
        f"({results['generated']['employed']:,} employed today), "
        f"{sum(results['generated']['rows'].values()):,} rows written in {results['generated']['seconds']:.0f} s. "
        f"Query counts also at {scale['small_technicians']:,} positions / {scale['small_sites']:,} sites.",
        "",
        f"Command: `{results['command']}`",
        "",
    ]
    header = (
        "| measure | before | value | floor | ratio | target | met |"
        if before
        else ("| measure | value | floor | ratio | target | met |")
    )
    group = None
    for row in rows:
        if row["group"] != group:
            group = row["group"]
            lines += ["", f"### {group}", "", header, "|---" * (header.count("|") - 1) + "|"]
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.1f}×"
        cells = [row["measure"]]
        if before:
            # Before the cached reads every request computed: a "_cold" row compares with it.
            old = before.get(row["key"]) or before.get(row["key"].replace("_cold", ""))
            cells.append((("~" if old.get("estimated") else "") + _fmt(old["value"], old["unit"])) if old else "—")
        value = ("~" if row.get("estimated") else "") + _fmt(row["value"], row["unit"])
        cells += [value, _fmt(row["floor"], row["unit"]), ratio, row["target"], met]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(text: str, path: Path) -> None:
    if path.exists():
        current = path.read_text()
        if MARK_START in current and MARK_END in current:
            head, rest = current.split(MARK_START, 1)
            _, tail = rest.split(MARK_END, 1)
            path.write_text(f"{head}{MARK_START}\n{text}{MARK_END}{tail}")
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Benchmarks\n\n{MARK_START}\n{text}{MARK_END}\n")


# ---- main -----------------------------------------------------------------------------------------------


def parse_args(argv):
    from benchmarks.generate import add_scale_arguments

    parser = argparse.ArgumentParser(description="CareerLadder benchmark (see benchmarks/run.py).")
    add_scale_arguments(parser)
    parser.add_argument("--full", action="store_true", help="100,000 technicians at 10,000 sites.")
    parser.add_argument("--skip-generate", action="store_true", help="Measure the data set already there.")
    parser.add_argument("--small-technicians", type=int, default=2_000)
    parser.add_argument("--small-sites", type=int, default=200)
    parser.add_argument("--small-database-url", default="")
    parser.add_argument("--repeat", type=int, default=15, help="Runs per page (median).")
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--job-timeout", type=float, default=3600)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--load-users", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--imports-rows", type=int, default=20_000)
    parser.add_argument("--skip", default="", help="Comma-separated: jobs,load,small,imports.")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--save-json", default="", help="Also write the raw results here.")
    parser.add_argument("--baseline", default="", help="Results JSON of an earlier run: a 'before' column.")
    parser.add_argument("--queries-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.full:
        args.technicians, args.sites = 100_000, 10_000
    return args


def _command(args: list[str]) -> str:
    """The command as a reader would type it; files by their name only (no machine paths)."""
    shown = [Path(arg).name if os.sep in arg else arg for arg in args]
    return "make bench" + (f" BENCH_ARGS='{' '.join(shown)}'" if shown else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("Set DATABASE_URL (or BENCH_DATABASE_URL with make bench) to a Postgres database.", file=sys.stderr)
        return 2
    args.small_database_url = args.small_database_url or _small_url(database_url)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.queries_only:
        _setup_django(None)
        queries_only(args)
        return 0
    _setup_django(None if "jobs" in skip else args.broker)
    from django.core.management import call_command

    from benchmarks.generate import generate

    call_command("migrate", interactive=False, verbosity=0)

    results: dict = {
        "date": dt.date.today().isoformat(),
        "scale": {
            "technicians": args.technicians,
            "sites": args.sites,
            "years": args.years,
            "seed": args.seed,
            "small_technicians": args.small_technicians,
            "small_sites": args.small_sites,
        },
        "command": _command(argv or sys.argv[1:]),
        "machine": machine(),
    }
    if args.skip_generate:
        from technicians.models import Technician

        results["generated"] = {
            "rows": {},
            "technician_records": Technician.objects.count(),
            "employed": Technician.objects.filter(termination_date__isnull=True).count(),
            "seconds": 0,
        }
    else:
        _log("== Generating the data set")
        results["generated"] = generate(
            technicians=args.technicians, sites=args.sites, years=args.years, seed=args.seed
        )
    if "jobs" not in skip:
        _log("== KPI backfill and nightly job (Celery worker, concurrency 2)")
        results["db_floor_ms"] = database_floor_ms(repeat=5)
        _log(f"  database floor: {results['db_floor_ms']:.0f} ms")
        results["jobs"] = measure_kpi_jobs(broker=args.broker, years=args.years, timeout=args.job_timeout)
    else:
        from django.utils import timezone

        from metrics import kpis, services
        from metrics.selectors import trend_months

        today = timezone.localdate()
        months = trend_months(today=today)
        services.kpi_snapshots_compute_all(months=kpis.months_from_to(months[0], months[-1]), today=today)
    _log(f"== Pages (in process, median of {args.repeat})")
    results["times"], results["queries"], pages = measure_pages(repeat=args.repeat)
    results["pages"] = [{"key": p["key"], "name": p["name"], "url": p["url"]} for p in pages]
    if "load" not in skip:
        _log(f"== Load: gunicorn + locust, {args.load_users} users for {args.load_seconds} s")
        results["load"] = measure_load(seconds=args.load_seconds, users=args.load_users, workers=args.gunicorn_workers)
        _log(f"  {results['load']}")
    if "imports" not in skip:
        imports = measure_imports(args.imports_rows)
        if imports is not None:
            _log("== Imports")
            results["imports"] = imports
    if "small" not in skip:
        _log(
            f"== Query counts at {args.small_technicians:,} technicians ({args.small_database_url.rsplit('/', 1)[-1]})"
        )
        results["queries_small"] = small_queries(args)
    baseline = json.loads(Path(args.baseline).read_text()) if args.baseline else None
    text = render(results, baseline=baseline)
    print()
    print(text)
    if args.output:
        write_report(text, Path(args.output))
        _log(f"Written to {args.output}")
    if args.save_json:
        Path(args.save_json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save_json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
