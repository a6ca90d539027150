"""Login throttling (django-axes): five wrong passwords for one username from one address lock
that pair out for 15 minutes, on the login page and on the API token endpoint alike."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.dateformat import time_format

from tests.security.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"
WRONG = "not-the-password"
WRONG_PASSWORD_MESSAGE = "Please enter a correct username and password."


def fail_logins(client: Client, username: str, times: int, *, ip: str = "203.0.113.7") -> list:
    return [log_in(client, username, WRONG, ip=ip) for _ in range(times)]


def test_settings_are_five_failures_and_fifteen_minutes():
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=15)
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_fifth_wrong_password_locks_the_login_page_with_a_friendly_page(client, manager_user):
    # Four wrong passwords: the form says so each time.
    for response in fail_logins(client, "manager", 4):
        assert response.status_code == 200
        assert WRONG_PASSWORD_MESSAGE in response.content.decode()

    # The fifth locks the username at this address for 15 minutes.
    (response,) = fail_logins(client, "manager", 1)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes" in page

    # Even the right password is refused while locked out.
    response = log_in(client, "manager", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_page_says_when_to_try_again(client, manager_user):
    fail_logins(client, "manager", 5)
    # The last failure was 5 minutes ago (to the minute), so 10 minutes are left.
    last_failure = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    AccessAttempt.objects.update(attempt_time=last_failure)

    response = log_in(client, "manager", PASSWORD)

    until = timezone.localtime(last_failure + dt.timedelta(minutes=15))
    page = response.content.decode()
    assert response.status_code == 429
    assert f"Try again in 10 minutes, after {time_format(until, 'g:i A')}." in page


def test_lockout_is_per_username_and_address(client, manager_user, hr_user):
    fail_logins(client, "manager", 5, ip="203.0.113.7")

    # The same person from another address, and a colleague behind the same address, get in.
    assert log_in(Client(), "manager", PASSWORD, ip="198.51.100.9").status_code == 302
    assert log_in(Client(), "hr", PASSWORD, ip="203.0.113.7").status_code == 302
    # The locked pair stays locked.
    assert log_in(Client(), "manager", PASSWORD, ip="203.0.113.7").status_code == 429


def test_lockout_ends_after_fifteen_minutes(client, manager_user):
    fail_logins(client, "manager", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=15, seconds=1))

    response = log_in(client, "manager", PASSWORD)

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()  # a successful login clears the count


def test_a_successful_login_resets_the_count(client, manager_user):
    fail_logins(client, "manager", 4)
    assert log_in(Client(), "manager", PASSWORD).status_code == 302

    responses = fail_logins(client, "manager", 4)

    assert [r.status_code for r in responses] == [200, 200, 200, 200]


def test_the_api_token_endpoint_is_locked_out_too_with_a_json_answer(manager_user):
    api = Client(REMOTE_ADDR="203.0.113.7")
    answers = [api.post(TOKEN, {"username": "manager", "password": WRONG}) for _ in range(5)]

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert answers[0].json() == {"non_field_errors": ["Unable to log in with the username and password given."]}
    locked = answers[-1]
    assert locked["Content-Type"] == "application/json"
    assert locked["Retry-After"] == "900"
    body = locked.json()
    assert body["retry_after"] == 900
    assert body["detail"].startswith("Too many failed logins. Try again in 15 minutes, after ")

    # The right password is refused too until the cool-off is over.
    assert api.post(TOKEN, {"username": "manager", "password": PASSWORD}).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = api.post(TOKEN, {"username": "manager", "password": PASSWORD})
    assert response.status_code == 200 and len(response.json()["token"]) == 40


def test_a_token_issued_resets_the_count(manager_user):
    api = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        api.post(TOKEN, {"username": "manager", "password": WRONG})
    assert api.post(TOKEN, {"username": "manager", "password": PASSWORD}).status_code == 200

    answers = [api.post(TOKEN, {"username": "manager", "password": WRONG}).status_code for _ in range(4)]

    assert answers == [400, 400, 400, 400]


def test_failures_on_the_page_and_the_api_count_together(client, manager_user):
    fail_logins(client, "manager", 3)
    api = Client(REMOTE_ADDR="203.0.113.7")
    api.post(TOKEN, {"username": "manager", "password": WRONG})

    response = api.post(TOKEN, {"username": "manager", "password": WRONG})

    assert response.status_code == 429


def test_failed_logins_and_lockouts_are_logged_without_the_password(client, manager_user, caplog):
    caplog.set_level(logging.INFO, logger="careerladder.security")

    fail_logins(client, "manager", 5)

    security = [r.getMessage() for r in caplog.records if r.name == "careerladder.security"]
    failed = [m for m in security if m.startswith("failed login")]
    assert failed == ["failed login for username 'manager' from 203.0.113.7 on /accounts/login/"] * 5
    assert any(m.startswith("login locked out for username 'manager' from 203.0.113.7 until ") for m in security)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert WRONG not in everything
