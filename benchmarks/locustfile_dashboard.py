"""Load on the manager dashboard: ``locust -f benchmarks/locustfile_dashboard.py --headless``.

``benchmarks.run`` starts gunicorn and this file with ``BENCH_SESSION_KEYS`` (comma-separated
session keys of logged-in managers, created by the runner as the login form would) and
``BENCH_SESSION_COOKIE`` (the session cookie's name). Each simulated manager keeps one session
and reloads the dashboard with no think time, so the figure is the throughput the server
sustains; anything but a 200 counts as an error.
"""

from __future__ import annotations

import itertools
import os

from locust import HttpUser, constant, task

_KEYS = [key for key in os.environ.get("BENCH_SESSION_KEYS", "").split(",") if key]
_COOKIE = os.environ.get("BENCH_SESSION_COOKIE", "sessionid")
_NEXT = itertools.count()


class Manager(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        if not _KEYS:
            raise RuntimeError("BENCH_SESSION_KEYS is empty: run this through benchmarks.run.")
        self.client.cookies.set(_COOKIE, _KEYS[next(_NEXT) % len(_KEYS)])

    @task
    def dashboard(self) -> None:
        with self.client.get("/dashboard/", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
