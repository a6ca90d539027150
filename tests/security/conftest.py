"""Security tests. Logins go through the real login form or token endpoint (django-axes counts
them), so the cache behind DRF's token throttle is emptied around each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

PASSWORD = "careerladder-test"  # tests/factories.py UserFactory


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def log_in(client, username: str, password: str = PASSWORD, *, ip: str = "203.0.113.7"):
    """POST the login form as a browser at ``ip`` would; returns the response."""
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)
