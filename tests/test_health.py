"""/health/: for load balancers (PRODUCT.md section 4)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from careerladder.core import views as core_views


def test_health_reports_database_and_in_process_tasks(client, db, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "in-process",
        "broker": "in-process (no broker configured)",
    }
    assert "no-cache" in response["Cache-Control"]


def test_health_stays_up_when_the_broker_is_down(client, db, settings):
    # Pages keep working without the broker, so the load balancer must keep sending traffic.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"] == "unavailable (OperationalError)"


def test_health_is_503_when_the_database_is_down(client, db, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    class DownDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(core_views, "connection", DownDatabase())

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "OperationalError",
        "cache": "in-process",
        "broker": "in-process (no broker configured)",
    }


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_health_answers_get_only(client, db, method):
    assert getattr(client, method)("/health/").status_code == 405
