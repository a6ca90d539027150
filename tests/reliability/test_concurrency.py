"""Concurrent promotion decisions through the API leave consistent data (Postgres row locks).

Each request runs in its own thread with its own database connection and its own logged-in
client, released together by a barrier, as several people pressing the button at once.
tests/ladder/test_promotions.py has the two-approver race at the service level; these go
through the whole HTTP stack with more people and the mixed races.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from careerladder.core.dates import add_months
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, set_requirements
from tests.reliability.processes import require_postgres
from tiers import services
from tiers.models import Promotion, TierAssignment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ALREADY_APPROVED = {"status": ["This promotion request has already been approved."]}
ALREADY_REJECTED = {"status": ["This promotion request has already been rejected."]}


def at_once(calls: list[tuple[User, Callable[[Client], object]]]) -> list:
    """Run every ``call(client)`` at the same moment, each as its user on its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, user: User, call) -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=20)
            results[index] = call(client)
        except Exception as exc:  # reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user, call)) for i, (user, call) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post(url: str, body: dict | None = None) -> Callable[[Client], tuple[int, dict]]:
    def call(client: Client):
        response = client.post(url, body or {}, content_type="application/json")
        return response.status_code, response.json()

    return call


@pytest.fixture
def eligible_technician(site_a, evaluator_user, manager_user):
    """A TECH1 at site A who meets every TECH2 requirement today."""
    require_postgres()
    today = timezone.localdate()
    competency = CompetencyFactory(code="RACE_X", name="Race basics", items=1)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15))
    achieve(tech, evaluator_user, competency, today - dt.timedelta(days=10))
    certify(tech, "CPHT", issued_on=today - dt.timedelta(days=100))
    for back in (3, 2, 1):
        evaluate(tech, manager_user, add_months(today.replace(day=1), -back), 4)
    return tech


@pytest.fixture
def pending(eligible_technician, manager_user):
    return services.promotion_nominate(
        technician=eligible_technician, nominated_by=manager_user, effective_date=timezone.localdate()
    )


def open_tiers(tech) -> list[str]:
    return list(
        TierAssignment.objects.filter(technician=tech, end_date__isnull=True).values_list("tier__code", flat=True)
    )


def test_four_approvers_at_once_give_one_promotion(
    pending, eligible_technician, site_a, manager_user, hr_user, admin_user
):
    second_manager = UserFactory(username="manager2", role=User.Role.MANAGER, sites=[site_a])
    approvers = [manager_user, second_manager, hr_user, admin_user]
    url = f"/api/v1/promotions/{pending.pk}/approve/"

    results = at_once([(user, post(url)) for user in approvers])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 400, 400, 400], results
    assert [body for status, body in results if status == 400] == [ALREADY_APPROVED] * 3
    winner = approvers[[status for status, _ in results].index(200)]
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", winner)
    promotions = TierAssignment.objects.filter(technician=eligible_technician, reason="promotion")
    assert promotions.count() == 1
    assert pending.tier_assignment == promotions.get()
    assert open_tiers(eligible_technician) == ["TECH2"]
    assert pending.history.filter(status="approved").count() == 1  # one approval in the audit trail


def test_approve_and_reject_at_once_leave_one_decision(pending, eligible_technician, manager_user, hr_user):
    base = f"/api/v1/promotions/{pending.pk}"

    approve, reject = at_once(
        [(manager_user, post(f"{base}/approve/")), (hr_user, post(f"{base}/reject/", {"reason": "Budget freeze."}))]
    )

    pending.refresh_from_db()
    assert sorted([approve[0], reject[0]]) == [200, 400]
    if pending.status == "approved":
        assert (approve[0], reject) == (200, (400, ALREADY_APPROVED))
        assert open_tiers(eligible_technician) == ["TECH2"]
        assert pending.tier_assignment.tier.code == "TECH2"
    else:
        assert (reject[0], approve) == (200, (400, ALREADY_REJECTED))
        assert (pending.status, pending.rejection_reason, pending.tier_assignment) == (
            "rejected",
            "Budget freeze.",
            None,
        )
        assert open_tiers(eligible_technician) == ["TECH1"]
        assert not TierAssignment.objects.filter(technician=eligible_technician, reason="promotion").exists()


def test_two_managers_nominating_at_once_open_one_request(eligible_technician, site_a, manager_user):
    second_manager = UserFactory(username="manager2", role=User.Role.MANAGER, sites=[site_a])
    body = {
        "technician": eligible_technician.pk,
        "to_tier": "TECH2",
        "effective_date": timezone.localdate().isoformat(),
        "note": "Ready.",
    }

    results = at_once(
        [(manager_user, post("/api/v1/promotions/", body)), (second_manager, post("/api/v1/promotions/", body))]
    )

    assert sorted(status for status, _ in results) == [201, 400], results
    [refused] = [body for status, body in results if status == 400]
    assert refused == {"technician": [f"{eligible_technician.full_name} already has a pending promotion request."]}
    assert Promotion.objects.filter(technician=eligible_technician, status="pending").count() == 1
