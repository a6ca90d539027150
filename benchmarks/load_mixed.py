"""Mixed-traffic load test (``make load``): technicians, managers and hr at once, zero errors.

``python -m benchmarks.load_mixed [--users 30] [--seconds 60] [--workers 3] [--database-url URL]``

1. Prepares a scratch Postgres database (default: the ``DATABASE_URL`` database's name with
   ``_load`` appended, on the same server; created when missing, never the one you work in):
   migrations, then ``seed_demo`` (``--technicians``, ``--sites``, ``--seed``; kept between
   runs) with its KPI snapshots.
2. Logs people in as the login form would (session keys): technicians linked to employed
   technicians, one manager per site with the (technician, checklist item) pairs they may sign
   off, and hr. Logins it adds are named ``load-…``.
3. Serves the app with gunicorn on a free loopback port (production-like: DEBUG off, a
   persistent database connection per worker, tasks in process, one Redis cache for all the
   workers: ``LOAD_CACHE_URL``, default database 11, emptied first) and runs
   ``benchmarks/locustfile_mixed.py`` headless for ``--seconds`` (the run is bounded: locust
   stops itself, lets requests in flight finish for up to 30 s, and is killed ``--seconds`` +
   90 s after the start if it has not).
4. Prints p50/p95/requests per second/errors per action as a markdown table, checks that every
   sign-off answered 201 is in the database, and writes the table into ``docs/benchmarks.md``
   between ``<!-- load-mixed:start -->`` and ``<!-- load-mixed:end -->`` (``--no-doc`` skips).

``--redis-outage N`` serves the cache from a private ``redis-server`` (its own port, an
append-only file, so it comes back holding every entry from before) and stops it for N
seconds from a third of the run; afterwards every manager's technicians (API) are compared
with the database: a page cached before a write made during the outage must not come back.

Exit status 1 when any request failed or a sign-off answered 201 is missing from the database.
A sign-off still in flight when the run stopped may be written without being counted (at most
one per simulated manager); that is reported, not an error.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- load-mixed:start -->", "<!-- load-mixed:end -->"
SIGNOFF_NAME = "/api/v1/signoffs/"
TECHNICIAN_LOGINS = 40


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the scratch database ------------------------------------------------------------------------


def scratch_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("LOAD_DATABASE_URL")
    if not url:
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith(("postgres://", "postgresql://")):
            raise SystemExit(
                "The load test needs Postgres: set DATABASE_URL=postgres://... (its database gets a "
                "'_load' sibling) or pass --database-url."
            )
        parts = urlsplit(base)
        url = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_load"))
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"--database-url must be a Postgres URL, not {url!r}.")
    return url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            _log(f"created database {name}")


def prepare_data(url: str, *, technicians: int, sites: int, seed: int) -> None:
    env = {**_app_env(url)}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            *manage,
            "seed_demo",
            "--technicians",
            str(technicians),
            "--sites",
            str(sites),
            "--seed",
            str(seed),
            "--if-empty",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


_cache_url: list[str] = []  # a private Redis for --redis-outage


class OutageRedis:
    """``redis-server`` on a free port with an append-only file in ``directory``."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        argv += ["--appendonly", "yes", "--save", "", "--logfile", "redis.log"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def _app_env(url: str) -> dict[str, str]:
    """The app's environment: this database, DEBUG off, tasks in process (no broker), and one
    Redis cache shared by the gunicorn workers as in production (``LOAD_CACHE_URL``, default
    database 11, emptied before the run; a write through one worker must show on the pages
    another one serves)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    env.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "careerladder.settings.base",
            "CACHE_URL": _cache_url[0] if _cache_url else os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/11"),
        }
    )
    return env


# ---- the people ----------------------------------------------------------------------------------


def make_plan(*, today: dt.date) -> dict:
    """Session keys per kind of person, and each manager's sign-off pairs (Django is set up on
    the scratch database by ``main``)."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from competencies.models import ChecklistItem, CompetencyRound
    from technicians.models import Site, Technician, User
    from technicians.services import user_create

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    def login(username: str, **spec) -> User:
        return User.objects.filter(username=username).first() or user_create(
            username=username, password=os.urandom(16).hex(), **spec
        )

    employed = Technician.objects.exclude(status=Technician.Status.TERMINATED).filter(hire_date__lte=today)
    linked = list(User.objects.filter(role="technician", technician__isnull=False).select_related("technician"))
    free = employed.filter(user__isnull=True).order_by("pk")[: max(0, TECHNICIAN_LOGINS - len(linked))]
    technicians = linked + [login(f"load-tech-{t.pk}", role="technician", technician=t) for t in free]

    # One plain item of each competency that has more items: signing it again and again never
    # completes a round, whose re-validation could not be signed the same day (a correct 400).
    sizes = dict(
        ChecklistItem.objects.filter(active=True, initial_only=False)
        .values_list("competency_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    first_item: dict[int, int] = {}
    plain = ChecklistItem.objects.filter(active=True, competency__active=True, initial_only=False, measure="").order_by(
        "competency_id", "position", "pk"
    )
    for competency_id, pk in plain.values_list("competency_id", "pk"):
        if sizes.get(competency_id, 0) >= 2:
            first_item.setdefault(competency_id, pk)
    items = list(first_item.values())
    competency_of = {pk: competency_id for competency_id, pk in first_item.items()}
    # Not where an earlier run (the database is kept) completed a round today.
    achieved_today = set(
        CompetencyRound.objects.filter(achieved_on=today).values_list("technician_id", "competency_id")
    )
    if not items:
        raise SystemExit("No plain checklist items to sign off: is the ladder seeded (migrations)?")
    managers = []
    for site in Site.objects.order_by("code"):
        staff = list(employed.filter(site=site).order_by("pk").values_list("pk", flat=True)[:20])
        if not staff:
            continue
        manager = login(f"load-manager-{site.code.lower()}", role="manager", sites=[site])
        pairs = [
            [tech, item]
            for i, tech in enumerate(staff)
            for item in (items[(i * 7 + n) % len(items)] for n in range(3))
            if (tech, competency_of[item]) not in achieved_today
        ]
        managers.append({"session": session(manager), "signoffs": pairs, "username": manager.username})
    hr = [login("hr", role="hr"), login("load-hr-2", role="hr")]
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "today": today.isoformat(),
        "technicians": [{"session": session(u)} for u in technicians],
        "managers": managers,
        "hr": [{"session": session(u)} for u in hr],
        "counts": {
            "technicians": len(technicians),
            "managers": len(managers),
            "hr": len(hr),
            "employed": employed.count(),
            "sites": employed.values("site").distinct().count(),
        },
    }


# ---- the run -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def run_load(
    url: str,
    plan_file: Path,
    *,
    users: int,
    seconds: int,
    workers: int,
    stats_prefix: Path,
    outage: tuple[OutageRedis, int] | None = None,
    after=None,
) -> None:
    """Serve, run locust; during it stop ``outage``'s Redis for its seconds; then ``after(port)``
    while gunicorn still runs."""
    port = free_port()
    gunicorn = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "careerladder.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_app_env(url),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/health/") == 200:
                    break
            except OSError:
                pass
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        for _ in range(workers * 3):  # every worker has loaded the app and opened its connection
            _get(port, "/health/")
        locust = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "benchmarks" / "locustfile_mixed.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "30",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(stats_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        outage_thread = None
        if outage is not None:
            redis, length = outage

            def stop_and_start() -> None:
                time.sleep(seconds / 3)
                _log(f"== Redis (the cache) stopped for {length} s")
                redis.stop()
                time.sleep(length / 2)
                renamed = rename_during_outage(port, json.loads(plan_file.read_text()))
                _log(f"== {renamed} technicians renamed through the API while Redis is down")
                time.sleep(length / 2)
                redis.start()
                _log("== Redis started again")

            import threading

            outage_thread = threading.Thread(target=stop_and_start, daemon=True)
            outage_thread.start()
        subprocess.run(  # noqa: S603
            locust,
            cwd=ROOT,
            env={**os.environ, "LOAD_PLAN": str(plan_file)},
            check=False,
            stdout=subprocess.DEVNULL,
            timeout=seconds + 90,
        )
        if outage_thread is not None:
            outage_thread.join()
        if after is not None:
            after(port)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)


def _request(port: int, method: str, path: str, *, cookie: str, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read()
    finally:
        conn.close()


def rename_during_outage(port: int, plan: dict) -> int:
    """Each manager renames one technician of their site (PATCH, session and CSRF as a
    browser sends them): writes whose version bumps the cache cannot take."""
    renamed = 0
    for manager in plan["managers"]:
        if not manager["signoffs"]:
            continue
        tech_id = manager["signoffs"][0][0]
        cookie = f"{plan['session_cookie']}={manager['session']}"
        _, set_cookie, _ = _request(port, "GET", "/technicians/", cookie=cookie)
        match = re.search(rf"{plan['csrf_cookie']}=([^;]+)", set_cookie)
        if not match:
            continue
        status, _, _ = _request(
            port,
            "PATCH",
            f"/api/v1/technicians/{tech_id}/",
            cookie=f"{cookie}; {plan['csrf_cookie']}={match.group(1)}",
            headers={"X-CSRFToken": match.group(1), "Content-Type": "application/json"},
            body=json.dumps({"first_name": f"Outage{int(time.time())}"}),
        )
        if status != 200:
            raise SystemExit(f"renaming technician {tech_id} during the outage answered {status}")
        renamed += 1
    return renamed


def stale_pages(port: int, plan: dict) -> list[str]:
    """After the run: each manager's technicians as the API serves them (cached) against the
    database; a difference is a stale page."""
    from technicians.models import Technician, User

    stale = []
    for manager in plan["managers"]:
        cookie = f"{plan['session_cookie']}={manager['session']}"
        _, _, body = _request(port, "GET", "/api/v1/technicians/?page_size=500", cookie=cookie)
        served = {t["id"]: (t["first_name"], t["last_name"], t["status"]) for t in json.loads(body)["results"]}
        sites = User.objects.get(username=manager["username"]).sites.all()
        stored = {
            pk: (first, last, status)
            for pk, first, last, status in Technician.objects.filter(site__in=sites)
            .order_by("last_name", "first_name", "id")
            .values_list("pk", "first_name", "last_name", "status")[:500]
        }
        if served != stored:
            stale.append(f"{manager['username']}: /api/v1/technicians/ differs from the database")
    return stale


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def read_stats(prefix: Path) -> tuple[list[dict], dict, list[dict]]:
    with Path(f"{prefix}_stats.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    failures_path = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_path.open())) if failures_path.exists() else []

    def row(r: dict) -> dict:
        return {
            "method": r["Type"],
            "name": r["Name"],
            "requests": int(r["Request Count"]),
            "errors": int(r["Failure Count"]),
            "p50_ms": _number(r["50%"]),
            "p95_ms": _number(r["95%"]),
            "rps": _number(r["Requests/s"]),
        }

    endpoints = [row(r) for r in rows if r["Name"] != "Aggregated"]
    total = row(next(r for r in rows if r["Name"] == "Aggregated"))
    return sorted(endpoints, key=lambda r: (r["name"], r["method"])), total, failures


def markdown(endpoints: list[dict], total: dict, *, meta: dict) -> str:
    lines = [
        "## Mixed-traffic load test",
        "",
        f"`make load` (`python -m benchmarks.load_mixed --users {meta['users']} --seconds {meta['seconds']} "
        f"--workers {meta['workers']}`), run {meta['date']}: {meta['users']} simulated people (technicians 6 : "
        "managers 3 : hr 1, 0.5-1.5 s between actions) for "
        f"{meta['seconds']} s against gunicorn ({meta['workers']} sync workers, DEBUG off) on loopback, "
        f"Postgres, demo data of {meta['employed']} employed technicians at {meta['sites']} sites "
        f"(`seed_demo --technicians {meta['technicians']} --sites {meta['site_arg']} --seed {meta['seed']}`), "
        f"{meta['machine']}.",
        "",
        "| action | requests | errors | p50 ms | p95 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in endpoints:
        lines.append(
            f"| {r['method']} `{r['name']}` | {r['requests']} | {r['errors']} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['rps']:.1f} |"
        )
    lines.append(
        f"| **all** | **{total['requests']}** | **{total['errors']}** | **{total['p50_ms']:.0f}** | "
        f"**{total['p95_ms']:.0f}** | **{total['rps']:.1f}** |"
    )
    lines += [
        "",
        f"Sign-offs answered 201: {meta['signoffs_answered']}; new sign-off rows in the database: "
        f"{meta['signoffs_stored']} (a sign-off still in flight when the run stopped is written but not "
        "counted). An error is any answer other than 200 (201 for a sign-off); the requirement is zero.",
    ]
    return "\n".join(lines) + "\n"


def write_doc(section: str, path: Path = DOC) -> None:
    block = f"{START}\n{section}{END}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="Scratch Postgres database (default: DATABASE_URL's name + '_load').")
    parser.add_argument("--users", type=int, default=30, help="Simulated people at once (default 30).")
    parser.add_argument("--seconds", type=int, default=60, help="Length of the run (default 60).")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3).")
    parser.add_argument("--technicians", type=int, default=250, help="seed_demo --technicians (default 250).")
    parser.add_argument("--sites", type=int, default=6, help="seed_demo --sites (default 6).")
    parser.add_argument("--seed", type=int, default=42, help="seed_demo --seed (default 42).")
    parser.add_argument("--no-doc", action="store_true", help="Do not update docs/benchmarks.md.")
    parser.add_argument(
        "--redis-outage", type=int, default=0, metavar="N", help="Stop the cache's Redis for N seconds mid-run."
    )
    args = parser.parse_args(argv)
    outage_dir = None
    if args.redis_outage:
        outage_dir = tempfile.TemporaryDirectory(prefix="load-redis-")
        redis = OutageRedis(Path(outage_dir.name))
        redis.start()
        _cache_url.append(f"redis://127.0.0.1:{redis.port}/0")

    url = scratch_url(args.database_url)
    _log(f"== database {urlsplit(url).path.lstrip('/')}: migrations and demo data")
    ensure_database(url)
    prepare_data(url, technicians=args.technicians, sites=args.sites, seed=args.seed)

    os.environ.update(_app_env(url))
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connections
    from django.utils import timezone

    cache.clear()  # nothing cached from another database under the same ids

    from competencies.models import SignOff

    today = timezone.localdate()
    plan = make_plan(today=today)
    signoffs_before = SignOff.objects.count()
    connections.close_all()

    with tempfile.TemporaryDirectory(prefix="load-mixed-") as tmp:
        plan_file = Path(tmp) / "plan.json"
        plan_file.write_text(json.dumps(plan))
        _log(f"== load: {args.users} people for {args.seconds} s, gunicorn with {args.workers} workers")
        prefix = Path(tmp) / "stats"
        load_before = os.getloadavg()[0]
        stale: list[str] = []
        run_load(
            url,
            plan_file,
            users=args.users,
            seconds=args.seconds,
            workers=args.workers,
            stats_prefix=prefix,
            outage=(redis, args.redis_outage) if args.redis_outage else None,
            after=lambda port: stale.extend(stale_pages(port, plan)),
        )
        endpoints, total, failures = read_stats(prefix)
    if args.redis_outage:
        redis.stop()
        outage_dir.cleanup()

    signoffs_stored = SignOff.objects.count() - signoffs_before
    answered = next((r["requests"] - r["errors"] for r in endpoints if r["name"] == SIGNOFF_NAME), 0)
    meta = {
        "users": args.users,
        "seconds": args.seconds,
        "workers": args.workers,
        "technicians": args.technicians,
        "site_arg": args.sites,
        "seed": args.seed,
        "date": today.isoformat(),
        "employed": plan["counts"]["employed"],
        "sites": plan["counts"]["sites"],
        "machine": (
            f"{os.cpu_count()} CPU cores ({platform.machine()}) shared with the load generator and other work "
            f"(load average {load_before:.1f} when the run started)"
        ),
        "signoffs_answered": answered,
        "signoffs_stored": signoffs_stored,
    }
    section = markdown(endpoints, total, meta=meta)
    print(section)
    for failure in failures:
        _log(f"FAILED {failure['Method']} {failure['Name']} x{failure['Occurrences']}: {failure['Error']}")
    # Each simulated person has at most one request in flight when the run stops.
    ok = total["errors"] == 0 and total["requests"] > 0 and answered <= signoffs_stored <= answered + args.users
    for line in stale:
        _log(f"STALE {line}")
    ok = ok and not stale
    if not args.no_doc:
        write_doc(section)
        _log(f"updated {DOC.relative_to(ROOT)}")
    if not ok:
        _log("FAILED: errors during the load test, a stale page, or sign-offs answered 201 missing from the database")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
