"""Production settings: ``manage.py check --deploy`` is clean with a production environment, and
the settings a deployment relies on are what they say."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def production_env(**overrides) -> dict[str, str]:
    """A realistic production environment: a fresh 50+ character key, a public host name, and
    the migrated test database (the API schema is generated during the check)."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="careerladder.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="careerladder.example.org",
        CSRF_TRUSTED_ORIGINS="https://careerladder.example.org",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CACHE_URL="redis://127.0.0.1:6379/2",
        EMAIL_URL="smtp+tls://mailer:mail-password@smtp.example.org:587",
    )
    env.update(overrides)
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv (this Python, manage.py), no shell
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_check_deploy_is_clean_with_a_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_settings_values():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_NAME, "
        "s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_NAME, s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXY_COUNT, "
        "s.X_FRAME_OPTIONS, s.SESSION_ABSOLUTE_AGE, s.AXES_FAILURE_LIMIT)"
    )
    result = run_manage("shell", "-c", code, env=production_env(DEBUG="true"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",  # DEBUG, whatever the environment says
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "__Host-sessionid",
        "True",
        "__Host-csrftoken",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "1",
        "DENY",
        "43200",
        "5",
    ]


def test_check_warns_when_several_processes_would_keep_their_own_cache():
    env = production_env()
    del env["CACHE_URL"]
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "careerladder.W002" in result.stderr
