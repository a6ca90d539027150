"""Fixtures of the rule-at-every-edge tests: mentor candidates and a technician already promoted.

The roles' logins (``manager_user`` of site A, ``hr_user``, ``admin_user`` a superuser, …)
and ``client_for`` come from ``tests/conftest.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import TechnicianFactory
from tiers import services as tier_services
from tiers.models import Tier, TierAssignment


@pytest.fixture
def candidates(site_a):
    """At site A: Terry (Tech I), Tom (Tech II), Thea (Tech III), Lou (Lead, terminated 2025-03-31)."""
    return {
        "tech1": TechnicianFactory(site=site_a, first_name="Terry", employee_id="A-T1", tier="TECH1"),
        "tech2": TechnicianFactory(site=site_a, first_name="Tom", employee_id="A-T2", tier="TECH2"),
        "tech3": TechnicianFactory(site=site_a, first_name="Thea", employee_id="A-T3", tier="TECH3"),
        "gone": TechnicianFactory(
            site=site_a,
            first_name="Lou",
            employee_id="A-L1",
            tier="LEAD",
            status="terminated",
            termination_date=dt.date(2025, 3, 31),
            termination_type="voluntary",
        ),
    }


@pytest.fixture
def promoted(site_a):
    """Pat Park (A-P1) at site A: hired 2024-01-15 as Tech I, Tech II from 2024-07-01."""
    pat = TechnicianFactory(
        site=site_a, first_name="Pat", last_name="Park", employee_id="A-P1", hire_date=dt.date(2024, 1, 15)
    )
    tier_services.tier_assignment_start(
        technician=pat,
        tier=Tier.objects.get(code="TECH2"),
        start_date=dt.date(2024, 7, 1),
        reason=TierAssignment.Reason.PROMOTION,
    )
    return pat
