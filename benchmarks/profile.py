"""Where a benchmarked page spends its time: ``python -m benchmarks.profile [page ...]``.

With ``DATABASE_URL`` pointing at a generated benchmark database (``make bench``), requests
each page of ``benchmarks.run.page_plan`` (all of them, or the keys given: floor, dashboard,
me, matrix, api_technicians, api_kpis) in process, after a warm-up, and prints:

- the server time, split into time inside the database and time in Python;
- every query with its own time, slowest first (``--queries N`` of them, with their SQL cut to
  ``--width`` characters; ``--explain`` adds ``EXPLAIN ANALYZE`` of the slowest);
- with ``--cprofile``, the functions with the most cumulative time.

A tool for finding what to fix; the numbers that count are ``make bench``'s medians.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time


def _setup() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()


class QueryTimer:
    """A connection execute wrapper that records (seconds, sql, params) of every query."""

    def __init__(self):
        self.queries: list[tuple[float, str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - began, sql, params))


def profile_page(page: dict, *, queries: int, width: int, explain: bool, use_cprofile: bool) -> None:
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(page["user"])
    for _ in range(2):
        client.get(page["url"])
    timer = QueryTimer()
    profiler = cProfile.Profile() if use_cprofile else None
    with connection.execute_wrapper(timer):
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        response = client.get(page["url"])
        if profiler:
            profiler.disable()
        total = time.perf_counter() - began
    in_db = sum(seconds for seconds, _, _ in timer.queries)
    print(f"\n== {page['name']} ({page['url']}): HTTP {response.status_code}")
    print(
        f"   {total * 1000:.1f} ms in all, {in_db * 1000:.1f} ms in {len(timer.queries)} queries, "
        f"{(total - in_db) * 1000:.1f} ms in Python"
    )
    ranked = sorted(timer.queries, key=lambda q: q[0], reverse=True)
    for seconds, sql, _ in ranked[:queries]:
        text = " ".join(sql.split())
        print(f"   {seconds * 1000:8.2f} ms  {text[:width]}")
    if explain and ranked:
        _, sql, params = ranked[0]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n   EXPLAIN ANALYZE of the slowest query:")
            for (line,) in cursor.fetchall():
                print("   " + line)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="Page keys (default: every page).")
    parser.add_argument("--queries", type=int, default=8)
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    _setup()
    from django.test import override_settings

    from benchmarks.run import page_plan

    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        for page in page_plan():
            if args.pages and page["key"] not in args.pages:
                continue
            profile_page(page, queries=args.queries, width=args.width, explain=args.explain, use_cprofile=args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
