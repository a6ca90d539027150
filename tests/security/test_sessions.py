"""Sessions (OWASP ASVS 5.0 V7): a new key at login, idle and absolute timeouts, logout that
ends the session on the server, and a separated technician or deactivated login losing every
session and token at once."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from careerladder.core.models import UserSession
from careerladder.core.security import LOGIN_AT
from technicians.services import user_update
from tests.security.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db
JSON = "application/json"
COOKIE = settings.SESSION_COOKIE_NAME


def session_key(client: Client) -> str:
    return client.cookies[COOKIE].value


def browser_logged_in(username: str, *, ip: str = "203.0.113.7") -> Client:
    client = Client()
    response = log_in(client, username, ip=ip)
    assert response.status_code == 302, "the login form should accept the password"
    return client


def set_login_time(client: Client, seconds_ago: float) -> None:
    store = SessionStore(session_key=session_key(client))
    store[LOGIN_AT] = int(time.time() - seconds_ago)
    store.save()


def test_login_issues_a_new_session_key_and_drops_the_old_one(client, manager_user):
    # Given a browser that already has a session before logging in (e.g. one planted on it)
    planted = client.session
    planted["seen_login_page"] = True
    planted.save()
    before = session_key(client)

    # When it logs in
    assert log_in(client, "manager").status_code == 302

    # Then the login runs under a new key, and the old key names nothing on the server
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(session_key=after).user == manager_user


def test_logout_ends_the_session_on_the_server(manager_user):
    browser = browser_logged_in("manager")
    key = session_key(browser)
    assert browser.get("/technicians/").status_code == 200

    response = browser.post("/accounts/logout/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    # A copy of the old cookie (e.g. kept by someone else) opens nothing.
    replay = Client()
    replay.cookies[COOKIE] = key
    response = replay.get("/technicians/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/technicians/"


def test_idle_timeout_is_pushed_back_by_each_request_and_ends_an_idle_session(manager_user):
    browser = browser_logged_in("manager")
    key = session_key(browser)
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60

    # Almost idle for the whole period: one more request starts the period again.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(seconds=60))
    assert browser.get("/technicians/").status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    assert abs(expiry - (timezone.now() + age)) < dt.timedelta(seconds=30)

    # Idle past the period: the session is over.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = browser.get("/technicians/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/technicians/"


def test_absolute_timeout_ends_even_a_busy_session_after_twelve_hours(manager_user):
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 60 * 60
    browser = browser_logged_in("manager")
    key = session_key(browser)

    # Logged in 11 h 58 min ago and busy all along: still in.
    set_login_time(browser, settings.SESSION_ABSOLUTE_AGE - 120)
    assert browser.get("/technicians/").status_code == 200

    # Logged in 12 h ago: logged out at the next request, whatever the idle clock says.
    set_login_time(browser, settings.SESSION_ABSOLUTE_AGE)
    response = browser.get("/technicians/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/technicians/"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    page = browser.get(response["Location"]).content.decode()
    assert "You were logged out: a login lasts at most 12 hours. Please log in again." in page


def test_absolute_timeout_also_ends_an_api_session(manager_user):
    browser = browser_logged_in("manager")
    assert browser.get("/api/v1/sites/").status_code == 200
    set_login_time(browser, settings.SESSION_ABSOLUTE_AGE + 1)

    response = browser.get("/api/v1/sites/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_session_without_a_login_time_is_ended_at_its_next_request(manager_user):
    # A session from before login times were recorded: its age is unknown, so it is not trusted.
    browser = browser_logged_in("manager")
    store = SessionStore(session_key=session_key(browser))
    del store[LOGIN_AT]
    store.save()

    response = browser.get("/technicians/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/technicians/"


def test_separating_a_technician_ends_all_their_sessions_and_tokens(technician_user, manager_user, tech_a):
    # Given the technician is logged in on two devices and holds an API token
    phone = browser_logged_in("technician", ip="198.51.100.20")
    desk = browser_logged_in("technician", ip="198.51.100.21")
    token = Client().post("/api/v1/auth/token/", {"username": "technician", "password": PASSWORD}).json()["token"]
    manager = browser_logged_in("manager")
    keys = {session_key(phone), session_key(desk)}
    assert UserSession.objects.filter(user=technician_user).count() == 2

    # When their manager records the separation
    response = manager.patch(
        f"/api/v1/technicians/{tech_a.pk}/",
        {"status": "terminated", "termination_date": timezone.localdate().isoformat(), "termination_type": "voluntary"},
        content_type=JSON,
    )
    assert response.status_code == 200

    # Then both sessions and the token are gone on the server
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=technician_user).exists()
    assert not Token.objects.filter(key=token).exists()
    for device in (phone, desk):
        response = device.get("/me/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/me/"
    assert Client().get("/api/v1/sites/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    # and the manager, who did it, is still logged in
    assert manager.get("/technicians/").status_code == 200


def test_deactivating_a_login_through_the_user_api_ends_its_sessions_and_tokens(hr_user, manager_user):
    device = browser_logged_in("manager")
    key = session_key(device)
    Token.objects.create(user=manager_user)
    hr = browser_logged_in("hr")

    response = hr.patch(f"/api/v1/users/{manager_user.pk}/", {"is_active": False}, content_type=JSON)

    assert response.status_code == 200
    assert not Session.objects.filter(session_key=key).exists()
    assert not Token.objects.filter(user=manager_user).exists()
    response = device.get("/technicians/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/technicians/"


@pytest.mark.parametrize("how", ["service", "save"])
def test_a_login_saved_inactive_by_any_path_loses_its_sessions(how, manager_user, evaluator_user):
    # "save" is what the Django admin and any other code path do.
    mine = browser_logged_in("manager")
    other = browser_logged_in("evaluator")

    if how == "service":
        user_update(user=manager_user, data={"is_active": False})
    else:
        manager_user.is_active = False
        manager_user.save()

    assert not Session.objects.filter(session_key=session_key(mine)).exists()
    assert Session.objects.filter(session_key=session_key(other)).exists()
    assert other.get("/technicians/").status_code == 200


def test_a_session_whose_key_changes_is_still_ended_with_its_login(manager_user):
    # Django cycles the key without a new login, e.g. update_session_auth_hash after a
    # password change; the next request records the new key.
    browser = browser_logged_in("manager")
    store = SessionStore(session_key=session_key(browser))
    store.load()
    store.cycle_key()
    browser.cookies[COOKIE] = store.session_key
    assert browser.get("/technicians/").status_code == 200
    assert UserSession.objects.filter(session_key=store.session_key, user=manager_user).exists()

    manager_user.is_active = False
    manager_user.save()

    assert not Session.objects.filter(session_key=store.session_key).exists()


def test_nightly_housekeeping_removes_expired_and_over_age_sessions(manager_user, hr_user, evaluator_user):
    from django_celery_beat.models import PeriodicTask

    from careerladder.core.tasks import sessions_clear_expired

    fresh = browser_logged_in("manager")
    idle = browser_logged_in("hr")
    old = browser_logged_in("evaluator")
    Session.objects.filter(session_key=session_key(idle)).update(expire_date=timezone.now() - dt.timedelta(hours=1))
    UserSession.objects.filter(session_key=session_key(old)).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.SESSION_ABSOLUTE_AGE + 60)
    )

    assert sessions_clear_expired.delay().get() == 2

    assert list(Session.objects.values_list("session_key", flat=True)) == [session_key(fresh)]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(fresh)]
    assert sessions_clear_expired() == 0  # a second run finds nothing
    task = PeriodicTask.objects.get(task="careerladder.core.tasks.sessions_clear_expired")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("3", "30")
