"""Promotion requests: nomination, approval that re-checks eligibility and changes the tier
exactly once (also under concurrent approval on Postgres), hr's justified override, rejection."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, set_requirements
from tiers import services
from tiers.models import Promotion, TierAssignment


def _today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def ready_basics(db):
    competency = CompetencyFactory(code="READY_X", name="Ready basics", items=1)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    return competency


def _make_eligible(tech, evaluator, manager, competency):
    today = _today()
    achieve(tech, evaluator, competency, today - dt.timedelta(days=10))
    certify(tech, "CPHT", issued_on=today - dt.timedelta(days=100))
    for back in (3, 2, 1):
        evaluate(tech, manager, add_months(today.replace(day=1), -back), 4)


@pytest.fixture
def eligible(tech_a, evaluator_user, manager_user, ready_basics):
    _make_eligible(tech_a, evaluator_user, manager_user, ready_basics)
    return tech_a


@pytest.fixture
def pending(eligible, manager_user):
    return services.promotion_nominate(technician=eligible, nominated_by=manager_user, effective_date=_today())


def test_nomination_opens_a_request_for_the_next_tier(pending, manager_user):
    assert (pending.status, pending.from_tier.code, pending.to_tier.code, pending.nominated_by) == (
        "pending",
        "TECH1",
        "TECH2",
        manager_user,
    )


def test_nomination_rules(eligible, manager_user, pending):
    from tiers.models import Tier

    with pytest.raises(ApplicationError) as twice:
        services.promotion_nominate(technician=eligible, nominated_by=manager_user, effective_date=_today())
    assert twice.value.field == "technician"
    other = TechnicianFactory(site=eligible.site)
    with pytest.raises(ApplicationError) as skip:
        services.promotion_nominate(
            technician=other, nominated_by=manager_user, effective_date=_today(), to_tier=Tier.objects.get(code="TECH3")
        )
    assert skip.value.field == "to_tier"
    with pytest.raises(ApplicationError) as future:
        services.promotion_nominate(
            technician=other, nominated_by=manager_user, effective_date=_today() + dt.timedelta(days=1)
        )
    assert future.value.field == "effective_date"
    with pytest.raises(ApplicationError) as before_tier:
        services.promotion_nominate(technician=other, nominated_by=manager_user, effective_date=other.hire_date)
    assert before_tier.value.field == "effective_date"


def test_approval_closes_the_current_tier_and_opens_the_next(pending, manager_user, eligible):
    assignment = services.promotion_approve(promotion=pending, approver=manager_user)

    pending.refresh_from_db()
    history = list(eligible.tier_assignments.order_by("start_date").values_list("tier__code", "start_date", "end_date"))
    assert history == [("TECH1", dt.date(2024, 1, 15), _today()), ("TECH2", _today(), None)]
    assert (assignment.reason, assignment.recorded_by) == ("promotion", manager_user)
    assert (pending.status, pending.decided_by, pending.eligible_at_decision, pending.tier_assignment) == (
        "approved",
        manager_user,
        True,
        assignment,
    )


def test_approving_twice_changes_the_tier_once(pending, manager_user, hr_user, eligible):
    services.promotion_approve(promotion=pending, approver=manager_user)

    with pytest.raises(ApplicationError) as err:
        services.promotion_approve(promotion=pending, approver=hr_user)

    assert str(err.value) == "This promotion request has already been approved."
    assert eligible.tier_assignments.count() == 2


def test_an_ineligible_request_needs_hr_and_a_justification(tech_a, manager_user, hr_user, ready_basics):
    promotion = services.promotion_nominate(technician=tech_a, nominated_by=manager_user, effective_date=_today())

    with pytest.raises(ApplicationError) as by_manager:
        services.promotion_approve(promotion=promotion, approver=manager_user, justification="She is great.")
    assert by_manager.value.field == "justification"
    assert "Only HR may approve an ineligible request" in str(by_manager.value)
    with pytest.raises(ApplicationError) as unjustified:
        services.promotion_approve(promotion=promotion, approver=hr_user, justification="   ")
    assert unjustified.value.field == "justification"
    assert tech_a.tier_assignments.count() == 1

    services.promotion_approve(
        promotion=promotion,
        approver=hr_user,
        justification="Covered the billing lead for 6 months; checklist at audit.",
    )

    promotion.refresh_from_db()
    assert (promotion.status, promotion.eligible_at_decision, promotion.justification) == (
        "approved",
        False,
        "Covered the billing lead for 6 months; checklist at audit.",
    )
    assert tech_a.tier_assignments.get(end_date__isnull=True).tier.code == "TECH2"
    assert tech_a.tier_assignments.get(end_date__isnull=True).note.startswith("HR override: Covered the billing lead")


def test_approval_rechecks_eligibility_at_decision_time(pending, manager_user, eligible):
    # The CPhT is found to be unverified before approval: the request can no longer pass.
    eligible.certifications.update(verified_at=None)

    with pytest.raises(ApplicationError) as err:
        services.promotion_approve(promotion=pending, approver=manager_user)

    assert "No current, verified Certified Pharmacy Technician (CPhT) on record." in str(err.value)
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_rejection_keeps_its_reason_and_closes_the_request(pending, manager_user, eligible):
    with pytest.raises(ApplicationError) as no_reason:
        services.promotion_reject(promotion=pending, decided_by=manager_user, reason=" ")
    assert no_reason.value.field == "reason"

    services.promotion_reject(promotion=pending, decided_by=manager_user, reason="Budget freeze until July.")

    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == ("rejected", "Budget freeze until July.")
    with pytest.raises(ApplicationError):
        services.promotion_approve(promotion=pending, approver=manager_user)
    assert eligible.tier_assignments.count() == 1
    # A new request may follow a rejected one.
    assert services.promotion_nominate(technician=eligible, nominated_by=manager_user, effective_date=_today())


# ---------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------


def test_api_lists_promotions_with_todays_eligibility(client_for, manager_user, pending, tech_b):
    response = client_for(manager_user).get("/api/v1/promotions/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {k: row[k] for k in ("id", "technician", "from_tier", "to_tier", "status", "justification", "eligible")} == {
        "id": pending.pk,
        "technician": pending.technician_id,
        "from_tier": "TECH1",
        "to_tier": "TECH2",
        "status": "pending",
        "justification": "",
        "eligible": True,
    }
    assert row["effective_date"] == _today().isoformat()
    assert row["missing"] == []


def test_api_nominate_and_approve(client_for, manager_user, eligible):
    client = client_for(manager_user)

    created = client.post(
        "/api/v1/promotions/",
        {"technician": eligible.pk, "effective_date": _today().isoformat(), "to_tier": "TECH2", "note": "Ready."},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    approved = client.post(f"/api/v1/promotions/{created.json()['id']}/approve/", {}, content_type="application/json")
    again = client.post(f"/api/v1/promotions/{created.json()['id']}/approve/", {}, content_type="application/json")

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert again.status_code == 400
    assert again.json() == {"status": ["This promotion request has already been approved."]}
    assert eligible.tier_assignments.count() == 2


def test_api_ineligible_approval_without_hr_justification_is_400(
    client_for, tech_a, manager_user, hr_user, ready_basics
):
    promotion = services.promotion_nominate(technician=tech_a, nominated_by=manager_user, effective_date=_today())

    by_hr = client_for(hr_user).post(f"/api/v1/promotions/{promotion.pk}/approve/", {}, content_type="application/json")

    assert by_hr.status_code == 400
    assert list(by_hr.json()) == ["justification"]
    assert tech_a.tier_assignments.count() == 1
    justified = client_for(hr_user).post(
        f"/api/v1/promotions/{promotion.pk}/approve/",
        {"justification": "Interim lead while the site opened."},
        content_type="application/json",
    )
    assert justified.status_code == 200
    assert justified.json()["justification"] == "Interim lead while the site opened."
    assert justified.json()["eligible_at_decision"] is False


def test_api_reject_needs_a_reason(client_for, manager_user, pending):
    client = client_for(manager_user)

    empty = client.post(f"/api/v1/promotions/{pending.pk}/reject/", {}, content_type="application/json")
    done = client.post(
        f"/api/v1/promotions/{pending.pk}/reject/", {"reason": "Not this quarter."}, content_type="application/json"
    )

    assert empty.status_code == 400
    assert list(empty.json()) == ["reason"]
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["rejection_reason"]) == ("rejected", "Not this quarter.")


def test_api_deciding_is_for_managers_of_the_site_and_hr(client_for, users, pending, site_b):
    other_manager = UserFactory(role=User.Role.MANAGER, sites=[site_b])
    url = f"/api/v1/promotions/{pending.pk}/approve/"

    assert client_for(users["technician"]).post(url, {}, content_type="application/json").status_code == 403
    # An evaluator does not see a colleague's promotions at all (PRODUCT.md section 1).
    assert client_for(users["evaluator"]).post(url, {}, content_type="application/json").status_code == 404
    assert client_for(other_manager).post(url, {}, content_type="application/json").status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


# ---------------------------------------------------------------------------------------------
# Concurrency (Postgres)
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_approvals_give_exactly_one_tier_change(site_a, evaluator_user, manager_user, hr_user):
    """Two approvers press "approve" at the same moment, each on their own database connection:
    the row lock makes one wait, and it then finds the request already decided."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs Postgres row locks (SQLite has no SELECT ... FOR UPDATE); CI runs this on Postgres.")
    competency = CompetencyFactory(code="RACE_X", name="Race basics", items=1)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    tech = TechnicianFactory(site=site_a, hire_date=dt.date(2024, 1, 15))
    _make_eligible(tech, evaluator_user, manager_user, competency)
    promotion = services.promotion_nominate(technician=tech, nominated_by=manager_user, effective_date=_today())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(approver):
        try:
            barrier.wait(timeout=10)
            services.promotion_approve(promotion=Promotion.objects.get(pk=promotion.pk), approver=approver)
            outcomes.append("approved")
        except ApplicationError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (manager_user, hr_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["This promotion request has already been approved.", "approved"]
    assert TierAssignment.objects.filter(technician=tech, reason="promotion").count() == 1
    assert TierAssignment.objects.filter(technician=tech, end_date__isnull=True).get().tier.code == "TECH2"
    promotion.refresh_from_db()
    assert promotion.status == "approved"
