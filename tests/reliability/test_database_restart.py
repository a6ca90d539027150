"""A database restart costs no error page once the database is back (``CONN_HEALTH_CHECKS``),
and ``/health/`` tells the load balancer when the database cannot be reached.

Requests go through Django's real WSGI handler in this thread (what gunicorn calls), so the
request_started/request_finished signals run as in production and the persistent connection
(``CONN_MAX_AGE``) is kept between requests. A restart is seen by Django as its connection
closed by the server: ``pg_terminate_backend`` from a second connection does exactly that.
"""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from tests.reliability.processes import free_port, require_postgres

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Visitor:
    """Requests through ``WSGIHandler`` with a logged-in session cookie."""

    def __init__(self, client, user):
        client.force_login(user)
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        self.handler = WSGIHandler()

    def request(self, path: str, *, signed_in: bool = True) -> tuple[int, bytes]:
        environ = {"PATH_INFO": path, "HTTP_HOST": "testserver", "wsgi.errors": io.StringIO()}
        if signed_in:
            environ["HTTP_COOKIE"] = self.cookie
        setup_testing_defaults(environ)
        status = []
        response = self.handler(environ, lambda line, headers, exc_info=None: status.append(line))
        body = b"".join(response)
        response.close()  # fires request_finished, as the WSGI server does
        return int(status[0].split()[0]), body

    def get(self, path: str) -> int:
        return self.request(path)[0]


def terminate_backend_of_this_connection() -> None:
    """What a database restart does to Django's open connection, from a second connection."""
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"], port=s["PORT"] or None
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


@pytest.fixture
def visitor(client, manager_user):
    require_postgres()
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # the connection outlives a request
    return Visitor(client, manager_user)


def test_a_dropped_connection_costs_no_error_with_health_checks(visitor):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert visitor.get("/dashboard/") == 200
    terminate_backend_of_this_connection()

    assert visitor.get("/dashboard/") == 200  # the health check found it dead and reconnected
    assert visitor.get("/health/") == 200


def test_without_health_checks_the_same_drop_costs_one_error_page(visitor):
    """The control: the setting is what saves that request."""
    connection.close()
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    try:
        assert visitor.get("/dashboard/") == 200
        terminate_backend_of_this_connection()

        assert visitor.get("/dashboard/") == 500
        assert visitor.get("/dashboard/") == 200  # the broken connection was dropped after the error
    finally:
        connection.close()
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True


def test_health_is_503_while_the_database_cannot_be_reached_and_200_once_it_can(visitor, settings):
    settings.CELERY_BROKER_URL = ""  # the broker is not the subject here
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())  # nothing listens there: "the database is down"
    try:
        down = visitor.request("/health/", signed_in=False)  # a load balancer sends no cookie
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    up = visitor.request("/health/", signed_in=False)

    assert (down[0], json.loads(down[1])["status"], json.loads(down[1])["database"]) == (
        503,
        "error",
        "OperationalError",
    )
    assert (up[0], json.loads(up[1])["status"], json.loads(up[1])["database"]) == (200, "ok", "ok")
