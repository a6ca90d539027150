"""Mixed traffic: ``benchmarks.load_mixed`` runs this headless (``make load``).

Three kinds of people, in the proportions of a working day:

- technicians (6 in 10): their career map ``/me/`` and their certifications page;
- managers (3 in 10): the dashboard, the technician list, and competency sign-offs recorded
  through the API (``POST /api/v1/signoffs/``: a write under a row lock, with its history row);
- hr (1 in 10): the organisation's dashboard and the exports (KPI report CSV and XLSX, the
  training matrix CSV), which compute figures on the fly.

The runner writes a plan (``LOAD_PLAN``, a JSON file): the session keys of logged-in people of
each kind, the cookie names, today's date, and for each manager the (technician, checklist
item) pairs they may sign off. Each simulated person keeps one session and waits 0.5-1.5 s
between actions. Anything but the expected status (200; 201 for a sign-off) is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

_PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read()) if os.environ.get("LOAD_PLAN") else None  # noqa: SIM115
_TURNS = {kind: itertools.count() for kind in ("technicians", "managers", "hr")}
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _plan() -> dict:
    if _PLAN is None:
        raise RuntimeError("LOAD_PLAN is not set: run this through `python -m benchmarks.load_mixed`.")
    return _PLAN


class Person(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        plan = _plan()
        people = plan[self.kind]
        self.person = people[next(_TURNS[self.kind]) % len(people)]
        self.client.cookies.set(plan["session_cookie"], self.person["session"])

    def expect(self, method: str, path: str, status: int = 200, name: str | None = None, **kwargs):
        with self.client.request(
            method, path, name=name or path, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != status:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
            return response


class Technician(Person):
    kind = "technicians"
    weight = 6

    @task(5)
    def career_map(self) -> None:
        self.expect("GET", "/me/")

    @task(1)
    def certifications(self) -> None:
        self.expect("GET", "/certifications/me/")


class Manager(Person):
    kind = "managers"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        page = self.expect("GET", "/dashboard/")
        token = self.client.cookies.get(_plan()["csrf_cookie"])
        if not token:
            match = _CSRF_INPUT.search(page.text)
            token = match.group(1) if match else ""
        self.csrf = token

    @task(4)
    def dashboard(self) -> None:
        self.expect("GET", "/dashboard/")

    @task(1)
    def technicians(self) -> None:
        self.expect("GET", "/technicians/")

    @task(2)
    def sign_off(self) -> None:
        technician, item = random.choice(self.person["signoffs"])  # noqa: S311 - load mix, not security
        self.expect(
            "POST",
            "/api/v1/signoffs/",
            status=201,
            json={
                "technician": technician,
                "item": item,
                "signed_on": _plan()["today"],
                "method": "observation",
                "result": "pass",
                "comment": "Load test",
            },
            headers={"X-CSRFToken": self.csrf, "Referer": self.host + "/dashboard/"},
        )


class HR(Person):
    kind = "hr"
    weight = 1

    @task(3)
    def dashboard(self) -> None:
        self.expect("GET", "/dashboard/")

    @task(1)
    def report_csv(self) -> None:
        self.expect("GET", "/reports/kpis.csv")

    @task(1)
    def report_xlsx(self) -> None:
        self.expect("GET", "/reports/kpis.xlsx")

    @task(1)
    def matrix_csv(self) -> None:
        self.expect("GET", "/training/matrix.csv")
