"""Import benchmark: a technicians file of ``rows`` rows from the HR system, imported into the
database ``DATABASE_URL`` points at (meant for a scratch Postgres benchmark database).

``DJANGO_SETTINGS_MODULE=careerladder.settings.base python -m benchmarks.imports --rows 100000``
prints a markdown table; ``benchmarks.run`` calls ``run(rows=...)`` and adds the rows to its
report. It measures, on a CSV generated in memory (employee ids unique to the run, at up to 50
existing sites, or at 20 sites it creates when there are none):

1. a dry run (read + validate every row);
2. the import of the file: every technician new (validate, bulk inserts with history, commit);
3. a second file with the same technicians: 10 % change tier, 5 % are separated, the rest
   unchanged (the upsert path: bulk updates, closed and opened tier assignments);
4. the queries of each import, against the same import of 1,000 rows: bulk operations mean
   the difference is only the insert and update batches (about one per 500 rows).

Times are wall-clock from the call to the commit; "CPU" is this process's own CPU time (the
database server's is not in it), which tells a busy machine from a slow import.

The KPI recompute each import queues after its commit is left out (the callbacks are dropped):
it is the KPI job benchmark's subject, and run in process here it would time the KPIs, not the
import. The imported technicians stay in the database.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import resource
import sys
import time

TARGET_SECONDS = 60


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")
    import django

    django.setup()


def _sites() -> list[str]:
    from technicians.models import Site

    codes = list(Site.objects.order_by("code").values_list("code", flat=True)[:50])
    if codes:
        return codes
    for n in range(20):
        Site.objects.create(code=f"BIMP{n:02d}", name=f"Import benchmark pharmacy {n}", kind="retail", state="OH")
    return [f"BIMP{n:02d}" for n in range(20)]


def technicians_csv(*, rows: int, prefix: str, sites: list[str], changed: bool = False) -> bytes:
    """A technicians file; with ``changed``, every 10th row moves to TECH2 and every 20th
    (offset by 5) is separated, the rest as before."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "site_code",
            "hire_date",
            "tier",
            "status",
            "termination_date",
            "termination_type",
            "tier_effective_date",
        ]
    )
    first_hire = dt.date(2019, 1, 7)
    for n in range(rows):
        hire = first_hire + dt.timedelta(days=n % 1800)
        tier, status, end, end_type, effective = "TECH1", "active", "", "", ""
        if changed and n % 10 == 0:
            tier, effective = "TECH2", (hire + dt.timedelta(days=400)).isoformat()
        if changed and n % 20 == 5:
            status, end, end_type = "terminated", (hire + dt.timedelta(days=500)).isoformat(), "voluntary"
        writer.writerow(
            [
                f"{prefix}{n:06d}",
                f"First{n}",
                f"Last{n}",
                f"tech{n}@example.org",
                sites[n % len(sites)],
                hire.isoformat(),
                tier,
                status,
                end,
                end_type,
                effective,
            ]
        )
    return out.getvalue().encode("utf-8")


def _timed_import(content: bytes, *, name: str, user, dry_run: bool) -> tuple[float, float, int, object]:
    """(seconds, CPU seconds of this process, queries, result) of one import through the
    service, its after-commit callbacks dropped (see the module's docstring)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from imports.technicians import technicians_import

    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            queued = len(connection.run_on_commit)
            result = technicians_import(upload=upload, user=user, dry_run=dry_run)
            del connection.run_on_commit[queued:]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not result.ok:
        raise RuntimeError(f"the benchmark file was refused: {result.error_payload()['errors'][:5]}")
    return seconds, cpu, len(queries), result


def run(rows: int = 100_000) -> list[dict]:
    """Import ``rows`` technicians (then change some of them) and return the measures as
    ``{"measure", "value", "target", "met"}`` rows."""
    from technicians.models import User

    user, _ = User.objects.get_or_create(username="bench-importer", defaults={"role": User.Role.HR})
    sites = _sites()
    run_id = time.strftime("%y%m%d%H%M%S")
    prefix = f"IMP{run_id}-"

    small = technicians_csv(rows=1_000, prefix=f"IMS{run_id}-", sites=sites)
    load = os.getloadavg()[0]
    _, _, small_queries, _ = _timed_import(small, name="small.csv", user=user, dry_run=False)

    content = technicians_csv(rows=rows, prefix=prefix, sites=sites)
    dry_seconds, dry_cpu, _, _ = _timed_import(content, name="technicians.csv", user=user, dry_run=True)
    new_seconds, new_cpu, new_queries, created = _timed_import(
        content, name="technicians.csv", user=user, dry_run=False
    )
    changes = technicians_csv(rows=rows, prefix=prefix, sites=sites, changed=True)
    upd_seconds, upd_cpu, upd_queries, updated = _timed_import(changes, name="changes.csv", user=user, dry_run=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    batches = rows // 500 + 1
    query_target = small_queries + batches

    def row(measure: str, value: str, target: str = "", met: bool | None = None) -> dict:
        return {"measure": measure, "value": value, "target": target, "met": met}

    return [
        row("Import file", f"{rows:,} technicians, {len(content) / 1048576:.1f} MB CSV, {len(sites)} sites"),
        row(
            f"Dry run (read + validate {rows:,} rows)",
            f"{dry_seconds:.1f} s (CPU {dry_cpu:.1f} s)",
            f"< {TARGET_SECONDS} s",
            dry_seconds < TARGET_SECONDS,
        ),
        row(
            f"Import, all new ({created.created:,} created)",
            f"{new_seconds:.1f} s ({rows / new_seconds:,.0f} rows/s; CPU {new_cpu:.1f} s)",
            f"< {TARGET_SECONDS} s",
            new_seconds < TARGET_SECONDS,
        ),
        row(
            f"Import, upsert ({updated.updated:,} updated: {updated.tier_changes:,} tier changes, "
            f"{updated.separations:,} separations; {updated.unchanged:,} unchanged)",
            f"{upd_seconds:.1f} s ({rows / upd_seconds:,.0f} rows/s; CPU {upd_cpu:.1f} s)",
            f"< {TARGET_SECONDS} s",
            upd_seconds < TARGET_SECONDS,
        ),
        row(
            "Queries: all new / upsert / 1,000 rows",
            f"{new_queries} / {upd_queries} / {small_queries}",
            f"≤ {query_target} (1,000 rows + one per 500 rows)",
            max(new_queries, upd_queries) <= query_target,
        ),
        row("Peak memory of the process", f"{peak_mb:,.0f} MB"),
        row("Machine load when it started (1-minute load average)", f"{load:.1f} on {os.cpu_count()} CPUs"),
    ]


def _markdown(rows: list[dict]) -> str:
    lines = ["| Measure | Value | Target | Met |", "|---|---|---|---|"]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['measure']} | {r['value']} | {r['target']} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Technicians in the file (default 100,000).")
    args = parser.parse_args(argv)
    _setup_django()
    results = run(rows=args.rows)
    print(_markdown(results))
    return 0 if all(r["met"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
