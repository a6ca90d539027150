"""Shared fixtures: two sites, a technician at each, and one login per role.

Manager and evaluator belong to site A; ``tech_b`` (site B) is outside their scope.
"""

from __future__ import annotations

import os
import shutil

import pytest

from technicians.models import User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory

# pytest-django's live_server and Playwright's sync API share one thread with an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the cached reads (careerladder/core/versions.py)
    key on database ids, which a rolled-back test can hand out again."""
    from django.core.cache import cache

    from careerladder.core.security import OutageSafeScopedRateThrottle

    cache.clear()
    OutageSafeScopedRateThrottle.cache.local.clear()  # the throttle's copy in this process
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but no Chromium is installed (apt-get install chromium).")
        pytest.skip("No Chromium on this machine; set REQUIRE_BROWSER=1 to make this an error.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def site_a(db):
    return SiteFactory(code="A01", name="Riverside Community Pharmacy", kind="retail", state="OH")


@pytest.fixture
def site_b(db):
    return SiteFactory(code="B01", name="Mercy General Hospital Pharmacy", kind="hospital", state="PA")


@pytest.fixture
def tech_a(site_a):
    return TechnicianFactory(site=site_a, first_name="Alice", last_name="Archer", employee_id="A-1")


@pytest.fixture
def tech_b(site_b):
    return TechnicianFactory(site=site_b, first_name="Bob", last_name="Baker", employee_id="B-1")


@pytest.fixture
def technician_user(tech_a):
    return UserFactory(username="technician", role=User.Role.TECHNICIAN, technician=tech_a)


@pytest.fixture
def evaluator_user(site_a):
    lead = TechnicianFactory(site=site_a, first_name="Eve", last_name="Evans", employee_id="A-EVAL", tier="LEAD")
    return UserFactory(username="evaluator", role=User.Role.EVALUATOR, technician=lead, sites=[site_a])


@pytest.fixture
def manager_user(site_a):
    return UserFactory(username="manager", role=User.Role.MANAGER, sites=[site_a])


@pytest.fixture
def hr_user(db):
    return UserFactory(username="hr", role=User.Role.HR)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=User.Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def users(technician_user, evaluator_user, manager_user, hr_user, admin_user):
    """Every role's login, keyed by role name (``anonymous`` is None)."""
    return {
        "anonymous": None,
        "technician": technician_user,
        "evaluator": evaluator_user,
        "manager": manager_user,
        "hr": hr_user,
        "admin": admin_user,
    }


@pytest.fixture
def client_for(client):
    """``client_for(user)`` returns the test client logged in as ``user`` (or anonymous)."""

    def make(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return make


def pytest_terminal_summary(terminalreporter):
    """Say how much of the permission matrix ran: route × role pairs and requests made."""
    rows = [
        value
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if report.when == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "permission_matrix"
    ]
    if rows:
        pairs = sum(row["routes"] for row in rows)
        checks = sum(row["checks"] for row in rows)
        roles = ", ".join(sorted(row["role"] for row in rows))
        terminalreporter.write_line(
            f"permission matrix: {pairs} route × role pairs, {checks} requests checked ({roles})"
        )
