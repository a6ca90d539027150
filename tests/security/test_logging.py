"""Refused authorisations and bad credentials are logged on ``careerladder.security`` with who,
what and why (failed logins: tests/security/test_lockout.py)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.certifications.factories import cert_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="careerladder.security")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "careerladder.security"]

    return messages


def test_a_forbidden_page_action_is_logged(client_for, evaluator_user, tech_a, security_log):
    url = f"/technicians/{tech_a.pk}/practice-tests/add/"

    response = client_for(evaluator_user).post(url, {"taken_on": "2025-11-20", "score": "70"})

    assert response.status_code == 403
    assert security_log() == [
        f"refused 403 POST {url} for 'evaluator' (id {evaluator_user.pk}) from 127.0.0.1: "
        "You may only log practice tests for yourself."
    ]


def test_an_object_outside_the_scope_is_logged(client_for, manager_user, tech_b, security_log):
    response = client_for(manager_user).get(f"/technicians/{tech_b.pk}/")

    assert response.status_code == 404
    assert security_log() == [
        f"refused 404 GET /technicians/{tech_b.pk}/ for 'manager' (id {manager_user.pk}) from 127.0.0.1: "
        "No such technician."
    ]


def test_a_page_that_is_not_for_the_role_is_logged(client_for, technician_user, security_log):
    response = client_for(technician_user).get("/dashboard/")

    assert response.status_code == 404
    assert security_log() == [
        f"refused 404 GET /dashboard/ for 'technician' (id {technician_user.pk}) from 127.0.0.1: "
        "not for this login (role or scope)"
    ]


def test_a_forbidden_api_call_is_logged_and_changes_nothing(technician_user, security_log):
    token = Token.objects.create(user=technician_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    before = cert_type("BLS").name

    response = api.patch(f"/api/v1/certification-types/{cert_type('BLS').pk}/", {"name": "x"}, "application/json")

    assert response.status_code == 403
    assert cert_type("BLS").name == before
    (line,) = security_log()
    assert line.startswith(
        f"refused 403 PATCH /api/v1/certification-types/{cert_type('BLS').pk}/ "
        f"for 'technician' (id {technician_user.pk}) from 127.0.0.1: "
    )
    assert line.endswith(response.json()["detail"])


def test_an_api_object_outside_the_scope_is_logged(client_for, manager_user, tech_b, security_log):
    response = client_for(manager_user).get(f"/api/v1/technicians/{tech_b.pk}/")

    assert response.status_code == 404
    assert security_log() == [
        f"refused 404 GET /api/v1/technicians/{tech_b.pk}/ for 'manager' (id {manager_user.pk}) "
        "from 127.0.0.1: No Technician matches the given query."
    ]


def test_an_invalid_token_is_logged_but_a_missing_one_is_not(security_log):
    assert Client(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/v1/sites/").status_code == 401
    assert Client().get("/api/v1/sites/").status_code == 401

    assert security_log() == ["refused 401 GET /api/v1/sites/ for anonymous from 127.0.0.1: Invalid token."]
