"""Password rules: at least 10 characters, not common, not all digits, not like the username."""

from __future__ import annotations

import pytest

from technicians.models import User

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("Ab1-xyz", ["This password is too short. It must contain at least 10 characters."]),
        ("password1234", ["This password is too common."]),
        ("40718293561", ["This password is entirely numeric."]),
        ("jordan.hale.rx", ["The password is too similar to the username."]),
    ],
)
def test_weak_passwords_are_refused_and_no_login_is_created(password, messages, client_for, hr_user):
    body = {"username": "jordan.hale.rx", "password": password, "role": "hr"}

    response = client_for(hr_user).post("/api/v1/users/", body, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"password": messages}
    assert not User.objects.filter(username="jordan.hale.rx").exists()


def test_a_strong_password_is_accepted(client_for, hr_user):
    body = {"username": "jordan.hale.rx", "password": "Lantern-Orbit-Quince-42", "role": "hr"}

    response = client_for(hr_user).post("/api/v1/users/", body, content_type=JSON)

    assert response.status_code == 201
    assert User.objects.get(username="jordan.hale.rx").check_password("Lantern-Orbit-Quince-42")
