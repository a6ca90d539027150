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

    def request(
        self, path: str, *, signed_in: bool = True, method: str = "GET", body: bytes = b"", extra=None
    ) -> tuple[int, bytes]:
        environ = {
            "PATH_INFO": path,
            "HTTP_HOST": "testserver",
            "REQUEST_METHOD": method,
            "wsgi.errors": io.StringIO(),
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            **(extra or {}),
        }
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

    def post(self, path: str, body: bytes, **environ) -> int:
        return self.request(path, method="POST", body=body, extra=environ)[0]


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


def test_without_health_checks_the_same_drop_costs_one_error_page(client, manager_user, settings):
    """The control: the setting is what saves that request (without the retry of reads, which
    would hide the difference)."""
    require_postgres()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RetryReadsMiddleware")]
    visitor = Visitor(client, manager_user)
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


class DropBefore:
    """An execute wrapper that terminates this connection's server backend once, just before
    the ``nth`` query whose SQL contains ``text``: the connection dies in the middle of a
    request, as in a failover."""

    def __init__(self, text: str, nth: int = 1):
        self.text, self.left, self.dropped = text, nth, False

    def __call__(self, execute, sql, params, many, context):
        if not self.dropped and self.text in sql:
            self.left -= 1
            if self.left == 0:
                self.dropped = True
                terminate_backend_of_this_connection()
        return execute(sql, params, many, context)


def test_a_read_whose_connection_drops_mid_request_is_answered(visitor):
    assert visitor.get("/dashboard/") == 200
    drop = DropBefore('FROM "django_session"')  # the first query of the request

    with connection.execute_wrapper(drop):
        status = visitor.get("/dashboard/")

    assert drop.dropped
    assert status == 200  # tried once more on a new connection
    assert visitor.get("/dashboard/") == 200


def test_without_the_retry_the_same_drop_is_an_error_page(client, manager_user, settings):
    """The control: the middleware is what saves that request."""
    require_postgres()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RetryReadsMiddleware")]
    visitor = Visitor(client, manager_user)
    assert visitor.get("/dashboard/") == 200
    drop = DropBefore('FROM "django_session"')

    with connection.execute_wrapper(drop):
        status = visitor.get("/dashboard/")

    assert (drop.dropped, status) == (True, 500)


def test_a_connection_dropped_while_saving_the_session_is_not_the_callers_fault(visitor):
    """Django's database sessions would answer 400 "SessionInterrupted" here."""
    drop = DropBefore('UPDATE "django_session"')

    with connection.execute_wrapper(drop):
        status = visitor.get("/dashboard/")

    assert (drop.dropped, status) == (True, 200)
    assert visitor.get("/me/") in (200, 404)  # the session is still valid: no redirect to log in
    assert visitor.get("/dashboard/") == 200


def test_a_write_is_not_tried_twice(visitor, manager_user):
    """A POST may have committed before its connection dropped: it answers 500, never twice."""
    drop = DropBefore('FROM "technicians_user"')
    environ = {"CONTENT_TYPE": "application/json"}
    body = json.dumps({"username": manager_user.username, "password": "not the password"}).encode()

    with connection.execute_wrapper(drop):
        status = visitor.post("/api/v1/auth/token/", body, **environ)

    assert (drop.dropped, status) == (True, 500)
