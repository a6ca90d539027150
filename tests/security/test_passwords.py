"""Password rules: at least 10 characters, not common, not all digits, not like the username,
e-mail address or names of the login. hr and admin logins are an administrator's to create."""

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
def test_weak_passwords_are_refused_and_no_login_is_created(password, messages, client_for, admin_user):
    body = {"username": "jordan.hale.rx", "password": password, "role": "hr"}

    response = client_for(admin_user).post("/api/v1/users/", body, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"password": messages}
    assert not User.objects.filter(username="jordan.hale.rx").exists()


def test_a_strong_password_is_accepted(client_for, admin_user):
    body = {"username": "jordan.hale.rx", "password": "Lantern-Orbit-Quince-42", "role": "hr"}

    response = client_for(admin_user).post("/api/v1/users/", body, content_type=JSON)

    assert response.status_code == 201
    assert User.objects.get(username="jordan.hale.rx").check_password("Lantern-Orbit-Quince-42")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("maria.gonzalez", "The password is too similar to the email address."),
        ("Bartholomew", "The password is too similar to the first name."),
        ("Quintanilla-Ferreira", "The password is too similar to the last name."),
    ],
)
def test_a_new_login_s_password_is_not_like_its_e_mail_or_names(password, message, client_for, hr_user, site_a):
    body = {
        "username": "mgr-b",
        "password": password,
        "role": "manager",
        "sites": [site_a.pk],
        "email": "maria.gonzalez@example.org",
        "first_name": "Bartholomew",
        "last_name": "Quintanilla-Ferreira",
    }

    response = client_for(hr_user).post("/api/v1/users/", body, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"password": [message]}
    assert not User.objects.filter(username="mgr-b").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "Quintanilla-Ferreira"}, "The password is too similar to the last name."),  # stored name
        (
            {"password": "Wolfgang-Amadeus", "first_name": "Wolfgang-Amadeus"},  # name given with it
            "The password is too similar to the first name.",
        ),
        ({"password": "greta.lindqvist"}, "The password is too similar to the email address."),
    ],
)
def test_a_new_password_is_not_like_the_login_s_e_mail_or_names(change, message, client_for, hr_user, manager_user):
    User.objects.filter(pk=manager_user.pk).update(
        email="greta.lindqvist@example.org", first_name="Greta", last_name="Quintanilla-Ferreira"
    )
    before = User.objects.get(pk=manager_user.pk).password

    response = client_for(hr_user).patch(f"/api/v1/users/{manager_user.pk}/", change, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"password": [message]}
    assert User.objects.get(pk=manager_user.pk).password == before
