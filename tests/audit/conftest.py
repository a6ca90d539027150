"""People with names (the trail shows full names and roles) and token-authenticated clients."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def _name(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def hr(hr_user):
    return _name(hr_user, "Harriet", "Reed")


@pytest.fixture
def manager(manager_user):
    return _name(manager_user, "Mona", "Patel")


@pytest.fixture
def evaluator(evaluator_user):
    return _name(evaluator_user, "Eve", "Evans")


@pytest.fixture
def token_api():
    """``token_api(user)``: an API client that authenticates with the user's token only (no
    session), the way scripts call the API."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
