"""Redis, as the shared cache, stops: every page and write still answers, and once Redis is
back nothing written during the outage is hidden behind an entry cached before it.

These tests use the production cache configuration (``cache_config``, the code path
``CACHE_URL`` takes: ``FailSafeRedisCache``) against a private ``redis-server`` that the test
stops and starts. That server keeps an append-only file, so after a restart it still holds
every entry and data version from before the outage: exactly the case where a version bump
dropped during the outage would leave a stale page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from careerladder.core import cache as failsafe
from careerladder.settings.base import cache_config
from technicians.models import Technician
from tests.imports.conftest import TECHNICIAN_HEADER, csv_bytes, tech_row
from tests.reliability.processes import wait_for
from tiers import services as tiers_services

pytestmark = [pytest.mark.services]

D = dt.date


@pytest.fixture
def redis_cache(redis_server, settings):
    """The default cache is the production backend on ``redis_server`` (db 3)."""
    settings.CACHES = {"default": cache_config(redis_server.url(3))}
    settings.CACHED_READ_SECONDS = 600
    cache.clear()
    yield redis_server
    failsafe._states.clear()


def names(response) -> str:
    return response.content.decode()


def test_the_production_cache_is_the_fail_safe_backend(redis_cache):
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "FailSafeRedisCache"
    cache.set("probe", 1)
    assert redis_cache.client(3).dbsize() == 1  # really in that Redis


@pytest.mark.django_db
def test_every_page_answers_while_the_cache_is_down(
    redis_cache, client_for, technician_user, manager_user, hr_user, tech_a, site_a
):
    redis_cache.stop()
    today = dt.date.today()
    pages = {
        technician_user: ["/me/", "/certifications/me/", "/notifications/", "/api/v1/technicians/"],
        manager_user: [
            "/dashboard/",
            "/technicians/",
            "/training/matrix/",
            "/api/v1/technicians/?page_size=7",
            f"/api/v1/kpis/?start={today.replace(day=1)}&end={today}",
        ],
        hr_user: ["/dashboard/", "/reports/", "/technicians/", "/training/matrix/", "/api/v1/technicians/"],
    }
    answers = {
        (user.username, url): client_for(user).get(url).status_code for user, urls in pages.items() for url in urls
    }

    assert answers == dict.fromkeys(answers, 200)
    assert "Alice" in names(client_for(manager_user).get("/technicians/"))


@pytest.mark.django_db
def test_writes_and_the_token_endpoint_answer_while_the_cache_is_down(redis_cache, client, hr_user, site_a, tech_a):
    hr_user.set_password("a long and unusual passphrase")
    hr_user.save()
    redis_cache.stop()

    token = client.post(
        "/api/v1/auth/token/",
        {"username": "hr", "password": "a long and unusual passphrase"},
        content_type="application/json",
    )
    client.force_login(hr_user)
    rename = client.patch(
        f"/api/v1/technicians/{tech_a.pk}/", {"first_name": "Alicia"}, content_type="application/json"
    )
    upload = csv_bytes(TECHNICIAN_HEADER, [tech_row("N-1", "Nina", "North", "A01", "2024-03-01")])
    imported = client.post(
        "/imports/",
        {
            "kind": "technicians",
            "file": SimpleUploadedFile("hr.csv", upload, content_type="text/csv"),
            "action": "import",
        },
    )

    assert token.status_code == 200 and token.json()["token"]
    assert (rename.status_code, rename.json()["first_name"]) == (200, "Alicia")
    assert imported.status_code == 302
    assert Technician.objects.filter(employee_id="N-1").exists()


@pytest.mark.django_db
def test_health_says_the_cache_is_down_and_keeps_the_instance_in_service(redis_cache, client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/health/").json()["cache"] == "ok"
    redis_cache.stop()

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unavailable (ConnectionError)",
        "broker": "in-process (no broker configured)",
    }


@pytest.mark.django_db
def test_a_write_during_the_outage_is_shown_once_the_cache_is_back(
    redis_cache, client_for, technician_user, manager_user, tech_a, monkeypatch
):
    # No pause after a failure: the first read once Redis is back goes to Redis (and would
    # find the entries from before the outage under their old versions).
    monkeypatch.setattr(failsafe, "RETRY_SECONDS", 0)
    manager = client_for(manager_user)
    before = manager.get("/api/v1/technicians/?page_size=7").json()["results"]
    assert [t["first_name"] for t in before] == ["Alice"]  # now in Redis
    assert "Alice" in names(manager.get("/technicians/"))
    keys_before = redis_cache.client(3).dbsize()
    assert keys_before > 0

    redis_cache.stop()
    tiers_services.technician_update(technician=tech_a, data={"first_name": "Alicia"})  # its bump is dropped
    during = manager.get("/api/v1/technicians/?page_size=7").json()["results"]
    redis_cache.start()  # the append-only file brings back every entry and version

    assert redis_cache.client(3).dbsize() >= keys_before
    after = manager.get("/api/v1/technicians/?page_size=7").json()["results"]
    assert [t["first_name"] for t in during] == ["Alicia"]
    assert [t["first_name"] for t in after] == ["Alicia"]
    me = client_for(technician_user).get("/me/")
    assert "Alicia" in names(me)


@pytest.mark.django_db
def test_the_recovery_happens_without_a_request_in_this_process(redis_cache, client_for, manager_user, tech_a):
    """A process that dropped a bump moves the versions on as soon as Redis answers, even if it
    serves nothing meanwhile (another process reading the same Redis must not get the old
    entry)."""
    manager = client_for(manager_user)
    manager.get("/api/v1/technicians/?page_size=7")
    redis = redis_cache.client(3)

    def version_keys() -> dict[bytes, bytes]:
        return {key: redis.get(key) for key in redis.keys("*v:all")}

    before = version_keys()
    assert len(before) == 1
    redis_cache.stop()
    Technician.objects.filter(pk=tech_a.pk).update(first_name="Alicia")  # as if a signal's bump ...
    tiers_services.technician_update(technician=tech_a, data={"last_name": "Archer-Smith"})  # ... was dropped
    redis_cache.start()

    wait_for(lambda: version_keys() != before, timeout=5, what="the organisation-wide version to move on")


@pytest.mark.django_db
def test_a_paused_redis_answers_nothing_and_health_and_the_dashboard_still_answer(
    redis_cache, web_uses, client_for, manager_user, settings
):
    """A Redis that accepts connections and never answers (SIGSTOP: a hung server or a dead
    network path) must not hold requests until the web server kills its worker."""
    import signal

    def hung(signum, frame):
        raise AssertionError("the requests hung on the paused Redis")

    manager = client_for(manager_user)
    assert manager.get("/dashboard/").status_code == 200
    redis_cache.process.send_signal(signal.SIGSTOP)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    answers: dict[str, tuple[int, dict | None]] = {}
    try:
        health = client_for(None).get("/health/")
        answers["health"] = (health.status_code, health.json())
        answers["dashboard"] = (client_for(manager_user).get("/dashboard/").status_code, None)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        redis_cache.process.send_signal(signal.SIGCONT)

    status, body = answers["health"]
    assert (status, body["status"], body["database"]) == (200, "degraded", "ok")
    assert body["cache"].startswith("unavailable (")
    assert body["broker"] == "unavailable (Timeout)"
    assert answers["dashboard"] == (200, None)


@pytest.mark.django_db
def test_a_process_that_only_read_during_the_outage_repairs_for_one_that_wrote_and_died(
    redis_cache, client_for, manager_user, tech_a, monkeypatch
):
    """The writer's bump was dropped and the writer is gone (killed, recycled): the rename
    below goes to the database only, as that process's write would. This process merely read
    during the outage (one cache read, as the broker check makes), and that is enough for it to
    move every version on once Redis is back."""
    monkeypatch.setattr(failsafe, "RETRY_SECONDS", 0)
    manager = client_for(manager_user)
    assert [t["first_name"] for t in manager.get("/api/v1/technicians/?page_size=7").json()["results"]] == ["Alice"]

    redis_cache.stop()
    Technician.objects.filter(pk=tech_a.pk).update(first_name="Alicia")  # the dead process's write
    assert cache.get("metrics:broker-available") is None  # this process only read (a miss)
    redis_cache.start()

    after = manager.get("/api/v1/technicians/?page_size=7").json()["results"]
    assert [t["first_name"] for t in after] == ["Alicia"]


@pytest.mark.django_db
def test_the_token_endpoints_limit_holds_while_the_cache_is_down(redis_cache, client, hr_user):
    """The limit is 10 a minute. Four asks before the outage and six during it are allowed; the
    eleventh is refused, as it would be with Redis up (the history is kept in the process too)."""
    hr_user.set_password("a long and unusual passphrase")
    hr_user.save()
    body = {"username": "hr", "password": "a long and unusual passphrase"}

    def ask() -> int:
        return client.post("/api/v1/auth/token/", body, content_type="application/json").status_code

    before = [ask() for _ in range(4)]
    redis_cache.stop()
    during = [ask() for _ in range(7)]

    assert before == [200] * 4
    assert during == [200] * 6 + [429]
