"""API tokens (PRODUCT.md section 6: tokens that expire and can be revoked): a token lasts
``API_TOKEN_TTL_HOURS`` from when it was issued, ``DELETE /api/v1/auth/token/`` revokes it, and
a password change (by any path) or a deactivation revokes every token and session of the login.
The exchange itself, ``POST /api/v1/auth/token/ {username, password} -> {"token"}``, is as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from careerladder.core.models import UserSession
from technicians import services
from technicians.models import User
from tests.security.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db
JSON = "application/json"
TOKEN = "/api/v1/auth/token/"
SITES = "/api/v1/sites/"
NEW_PASSWORD = "Sterile-Garb-Lamp-7"


def token_for(username: str, password: str = PASSWORD) -> str:
    response = Client().post(TOKEN, {"username": username, "password": password}, content_type=JSON)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def call_with(token: str, path: str = SITES, method: str = "get"):
    return getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Token {token}")


def browser(username: str) -> Client:
    client = Client()
    assert log_in(client, username).status_code == 302
    return client


# ---- the exchange is unchanged ----------------------------------------------------------------


def test_the_token_exchange_keeps_its_contract(manager_user):
    response = Client().post(TOKEN, {"username": "manager", "password": PASSWORD}, content_type=JSON)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=manager_user).key}
    assert call_with(response.json()["token"]).status_code == 200


def test_asking_again_within_the_lifetime_gives_the_same_token(manager_user):
    assert token_for("manager") == token_for("manager")
    assert Token.objects.filter(user=manager_user).count() == 1


# ---- logging out through the API ----------------------------------------------------------------


def test_delete_revokes_the_token_used(manager_user):
    token = token_for("manager")

    response = call_with(token, TOKEN, "delete")

    assert response.status_code == 204
    assert response.content == b""
    assert not Token.objects.filter(key=token).exists()
    after = call_with(token)
    assert after.status_code == 401
    assert after.json() == {"detail": "Invalid token."}
    assert after["WWW-Authenticate"] == "Token"


def test_delete_with_a_session_revokes_that_logins_token_and_keeps_the_session(manager_user):
    token = token_for("manager")
    client = browser("manager")

    response = client.delete(TOKEN)

    assert response.status_code == 204
    assert call_with(token).status_code == 401
    assert client.get(SITES).status_code == 200  # logging out of the API is not logging out of the web


def test_delete_without_credentials_is_401(manager_user):
    token = token_for("manager")

    response = Client().delete(TOKEN)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Token.objects.filter(key=token).exists()


def test_a_new_token_can_be_had_after_logging_out(manager_user):
    old = token_for("manager")
    assert call_with(old, TOKEN, "delete").status_code == 204

    new = token_for("manager")

    assert new != old
    assert call_with(new).status_code == 200


def test_web_logout_ends_that_browser_session_only(manager_user):
    # Decision (README, API): the web logout ends the browser session; API clients log out
    # with DELETE /api/v1/auth/token/; a password change ends both.
    token = token_for("manager")
    client = browser("manager")

    assert client.post("/accounts/logout/").status_code == 302

    assert call_with(token).status_code == 200


# ---- expiry ---------------------------------------------------------------------------------------


def test_the_lifetime_defaults_to_the_absolute_session_timeout():
    assert settings.API_TOKEN_TTL_HOURS == 12
    assert settings.API_TOKEN_TTL_HOURS * 3600 == settings.SESSION_ABSOLUTE_AGE
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] == (
        "careerladder.core.security.ExpiringTokenAuthentication"
    )


def test_an_expired_token_answers_401_and_is_deleted(manager_user):
    token = token_for("manager")
    Token.objects.filter(key=token).update(created=timezone.now() - dt.timedelta(hours=12, seconds=1))

    response = call_with(token)

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has expired; ask for a new one."}
    assert response["WWW-Authenticate"] == "Token"
    assert not Token.objects.filter(key=token).exists()


def test_a_token_just_inside_its_lifetime_still_works(manager_user):
    token = token_for("manager")
    Token.objects.filter(key=token).update(created=timezone.now() - dt.timedelta(hours=11, minutes=59))

    assert call_with(token).status_code == 200


@override_settings(API_TOKEN_TTL_HOURS=1)
def test_the_lifetime_is_a_setting(manager_user):
    token = token_for("manager")
    Token.objects.filter(key=token).update(created=timezone.now() - dt.timedelta(hours=1, seconds=1))

    assert call_with(token).status_code == 401


def test_asking_after_expiry_gives_a_new_token(manager_user):
    old = token_for("manager")
    Token.objects.filter(key=old).update(created=timezone.now() - dt.timedelta(hours=13))

    new = token_for("manager")

    assert new != old
    assert not Token.objects.filter(key=old).exists()
    assert call_with(new).status_code == 200


def test_nightly_housekeeping_deletes_expired_tokens(manager_user, hr_user):
    from careerladder.core.security import sessions_clear_expired

    old = token_for("manager")
    fresh = token_for("hr")
    Token.objects.filter(key=old).update(created=timezone.now() - dt.timedelta(hours=13))

    sessions_clear_expired()

    assert list(Token.objects.values_list("key", flat=True)) == [fresh]


# ---- a password change revokes ------------------------------------------------------------------


def test_a_password_set_through_the_api_revokes_the_logins_tokens_and_sessions(hr_user, manager_user):
    token = token_for("manager")
    device = browser("manager")
    hr = browser("hr")

    response = hr.patch(f"/api/v1/users/{manager_user.pk}/", {"password": NEW_PASSWORD}, content_type=JSON)

    assert response.status_code == 200
    assert not Token.objects.filter(user=manager_user).exists()
    assert call_with(token).status_code == 401
    assert device.get("/technicians/").status_code == 302
    assert not UserSession.objects.filter(user=manager_user).exists()
    assert hr.get(SITES).status_code == 200  # hr, who did it, is still logged in


def test_a_password_set_through_the_service_revokes_the_logins_tokens(hr_user, manager_user):
    token = token_for("manager")

    services.user_update(actor=hr_user, user=manager_user, data={"password": NEW_PASSWORD})

    assert call_with(token).status_code == 401
    assert call_with(token_for("manager", NEW_PASSWORD)).status_code == 200


def test_a_password_set_by_any_save_revokes_the_logins_tokens(manager_user):
    # The Django admin's password form, manage.py changepassword and any form call
    # set_password() and save().
    token = token_for("manager")
    device = browser("manager")

    user = User.objects.get(pk=manager_user.pk)
    user.set_password(NEW_PASSWORD)
    user.save()

    assert call_with(token).status_code == 401
    assert device.get("/technicians/").status_code == 302


def test_a_password_set_in_the_django_admin_revokes_the_logins_tokens(admin_user, manager_user):
    token = token_for("manager")
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        f"/admin/technicians/user/{manager_user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert call_with(token).status_code == 401


def test_changing_your_own_password_keeps_the_session_that_did_it(admin_user):
    other = browser("admin")
    client = browser("admin")
    token = token_for("admin")

    response = client.patch(f"/api/v1/users/{admin_user.pk}/", {"password": NEW_PASSWORD}, content_type=JSON)

    assert response.status_code == 200
    assert client.get(SITES).status_code == 200
    assert other.get(SITES).status_code == 401  # that session is gone
    assert call_with(token).status_code == 401
    assert Session.objects.count() == 1


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)
def test_a_password_hash_upgrade_at_login_revokes_nothing(manager_user):
    # Django re-hashes a password with the preferred hasher at login: not a password change.
    from django.contrib.auth.hashers import make_password

    token = token_for("manager")
    User.objects.filter(pk=manager_user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    assert token_for("manager") == token
    assert User.objects.get(pk=manager_user.pk).password.startswith("md5$")
    assert call_with(token).status_code == 200


def test_deactivating_a_login_revokes_its_tokens(hr_user, manager_user):
    token = token_for("manager")

    services.user_update(actor=hr_user, user=manager_user, data={"is_active": False})

    assert not Token.objects.filter(key=token).exists()


# ---- the schema says so ---------------------------------------------------------------------------


def test_the_schema_declares_the_logout_and_keeps_the_exchange(manager_user):
    client = Client()
    client.force_login(manager_user)

    schema = client.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/auth/token/"]

    assert set(operations["delete"]["responses"]) >= {"204", "401", "403"}
    assert "content" not in operations["delete"]["responses"]["204"]
    assert {"tokenAuth": []} in operations["delete"]["security"]
    # the exchange: open to anonymous callers, same request and answer
    assert "security" not in operations["post"]
    assert set(operations["post"]["responses"]) == {"200", "400", "415", "429"}
    request = operations["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    answer = operations["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    components = schema["components"]["schemas"]
    assert set(components[request.rsplit("/", 1)[1]]["properties"]) == {"username", "password"}
    assert set(components[answer.rsplit("/", 1)[1]]["properties"]) == {"token"}


@pytest.mark.django_db(transaction=True)
def test_workers_asking_at_once_after_expiry_share_one_new_token(manager_user):
    """Every worker of an integration gets its 401 at the same moment and asks again: one new
    token for all of them, never a clash of inserts (an IntegrityError, a 500)."""
    import threading

    from django.db import connection

    from careerladder.core.security import token_issue
    from tests.reliability.processes import require_postgres

    require_postgres()
    old = token_for("manager")
    Token.objects.filter(key=old).update(created=timezone.now() - dt.timedelta(hours=13))
    start, keys, errors = threading.Barrier(6), [], []

    def ask() -> None:
        try:
            start.wait()
            keys.append(token_issue(user=User.objects.get(pk=manager_user.pk)).key)
        except Exception as exc:  # the outcome under test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(keys) == 6 and len(set(keys)) == 1 and keys[0] != old
    assert list(Token.objects.filter(user=manager_user).values_list("key", flat=True)) == [keys[0]]
