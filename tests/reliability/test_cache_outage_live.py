"""The production stack under traffic while its Redis cache stops and starts again.

gunicorn (two workers, DEBUG off) serves the app on the test database with ``CACHE_URL`` on a
private ``redis-server`` that keeps an append-only file, so that after the restart it still
holds every entry cached before the outage. People read their pages and a manager renames
technicians through the API the whole time; Redis is stopped for a few seconds in the middle.
Every answer must be a success, during the outage too, and once Redis is back every page
shows the last name written (nothing cached before a write made during the outage comes
back). The same run at a larger scale, with a 30 s outage: ``make load LOAD_ARGS="--redis-outage 30"``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.reliability.processes import ROOT, database_url, free_port, require_postgres, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class App:
    """gunicorn serving the project against the test database and ``cache_url``."""

    def __init__(self, cache_url: str, log_path):
        self.port = free_port()
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "careerladder.settings.base",
                "DATABASE_URL": database_url(),
                "DEBUG": "false",
                "CACHE_URL": cache_url,
                "CONN_MAX_AGE": "60",
                "PYTHONPATH": str(ROOT),
            }
        )
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "careerladder.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "2",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._up, timeout=60, interval=0.3, what="gunicorn", context=self.log)

    def log(self) -> str:
        return self.log_path.read_text()

    def _up(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{self.log()[-3000:]}")
        try:
            return self.request("GET", "/health/")[0] == 200
        except OSError:
            return False

    def request(self, method: str, path: str, *, headers=None, body=None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_no_error_and_nothing_stale_when_the_cache_stops_under_traffic(redis_server, tmp_path, site_a, tech_a):
    require_postgres()
    colleague = TechnicianFactory(site=site_a, first_name="Carl", last_name="Cole", employee_id="A-2")
    manager = UserFactory(username="manager", role=User.Role.MANAGER, sites=[site_a])
    technician = UserFactory(username="technician", role=User.Role.TECHNICIAN, technician=tech_a)
    hr = UserFactory(username="hr", role=User.Role.HR)
    token = Token.objects.create(user=manager).key
    cookies = {name: session_cookie(user) for name, user in (("manager", manager), ("tech", technician), ("hr", hr))}
    reads = [
        ("manager", "/dashboard/"),
        ("manager", "/technicians/"),
        ("manager", "/training/matrix/"),
        ("manager", "/api/v1/technicians/?page_size=7"),
        ("tech", "/me/"),
        ("tech", "/api/v1/technicians/"),
        ("hr", "/reports/"),
        ("hr", "/technicians/"),
    ]
    app = App(redis_server.url(2), tmp_path / "gunicorn.log")
    answers: list[tuple[str, str, int]] = []
    written: list[str] = []
    stop = threading.Event()

    def reader(offset: int) -> None:
        n = offset
        while not stop.is_set():
            who, path = reads[n % len(reads)]
            status, _ = app.request("GET", path, headers={"Cookie": cookies[who]})
            answers.append(("GET", path, status))
            n += 1

    def writer() -> None:
        n = 0
        while not stop.is_set():
            name = f"Alice{n}"
            status, _ = app.request(
                "PATCH",
                f"/api/v1/technicians/{tech_a.pk}/",
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                body=json.dumps({"first_name": name}),
            )
            answers.append(("PATCH", "/api/v1/technicians/", status))
            if status == 200:
                written.append(name)
            n += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)] + [threading.Thread(target=writer)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3)
        redis_server.stop()
        outage_started, writes_before = len(answers), len(written)
        time.sleep(4)
        outage_answers, outage_writes = len(answers) - outage_started, len(written) - writes_before
        redis_server.start()  # with every entry and version from before the outage
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        failures = [answer for answer in answers if answer[2] >= 400]
        assert outage_answers > 10, "traffic went on during the outage"
        assert failures == [], f"{len(failures)} failed answers, e.g. {failures[:5]}\n{app.log()[-3000:]}"
        # Renames went on during the outage (how many depends on the machine's load: one every
        # 0.2 s at most).
        assert outage_writes >= 3, f"{outage_writes} renames while Redis was down"

        # Once Redis is back, every page shows the last name written.
        last = written[-1]
        _, api = app.request("GET", "/api/v1/technicians/?page_size=7", headers={"Cookie": cookies["manager"]})
        by_id = {t["id"]: t["first_name"] for t in json.loads(api)["results"]}
        assert by_id == {tech_a.pk: last, colleague.pk: "Carl"}
        _, me = app.request("GET", "/me/", headers={"Cookie": cookies["tech"]})
        assert last in me
        for who, path in (("manager", "/technicians/"), ("hr", "/technicians/")):
            _, page = app.request("GET", path, headers={"Cookie": cookies[who]})
            assert last in page, f"{path} as {who} is stale"
    finally:
        stop.set()
        app.stop()
