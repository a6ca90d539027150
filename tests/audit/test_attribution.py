"""Every audited change lands in the history with exactly the user who made it: through the
pages (session), through the API with token authentication (no session), and as nobody
("System") when a command or a task makes it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from careerladder.celery import app as celery_app
from certifications.models import Certification, OrgPolicy
from competencies.models import SignOff
from technicians.models import Technician
from tests.certifications.factories import UnverifiedCertificationFactory, cert_type
from tests.ladder.factories import CompetencyFactory, achieve, certify, evaluate, items_of, set_requirements
from tiers import services as tier_services
from tiers.models import Evaluation, Promotion, TierAssignment


def latest(model, **filters):
    return model.history.filter(**filters).order_by("-history_date", "-history_id").first()


# ---- technicians: hire and separation --------------------------------------------------------


def test_hire_through_the_page_records_the_manager(client_for, manager, site_a):
    response = client_for(manager).post(
        "/technicians/new/",
        {
            "employee_id": "A-50",
            "first_name": "Ravi",
            "last_name": "Shah",
            "email": "",
            "site": site_a.pk,
            "hire_date": "2025-02-03",
            "tier": "TECH1",
            "status": "active",
        },
    )

    assert response.status_code == 302, response.content
    tech = Technician.objects.get(employee_id="A-50")
    row = latest(Technician, id=tech.pk)
    assert (row.history_type, row.history_user) == ("+", manager)
    hire = latest(TierAssignment, technician_id=tech.pk)
    assert (hire.history_type, hire.history_user, hire.reason) == ("+", manager, "hire")


def test_hire_through_the_api_with_a_token_records_the_token_owner(token_api, hr, site_a):
    response = token_api(hr).post(
        "/api/v1/technicians/",
        {"employee_id": "A-51", "first_name": "Lea", "last_name": "Ng", "site": site_a.pk, "hire_date": "2025-02-03"},
        format="json",
    )

    assert response.status_code == 201, response.content
    tech_id = response.json()["id"]
    assert latest(Technician, id=tech_id).history_user == hr
    assert latest(TierAssignment, technician_id=tech_id).history_user == hr


def test_separation_through_the_api_with_a_token_records_the_manager_and_the_diff(token_api, manager, tech_a):
    response = token_api(manager).patch(
        f"/api/v1/technicians/{tech_a.pk}/",
        {"status": "terminated", "termination_date": "2025-06-30", "termination_type": "voluntary"},
        format="json",
    )

    assert response.status_code == 200, response.content
    row = latest(Technician, id=tech_a.pk)
    assert (row.history_type, row.history_user) == ("~", manager)
    delta = row.diff_against(row.prev_record)
    assert {(c.field, c.old, c.new) for c in delta.changes} == {
        ("status", "active", "terminated"),
        ("termination_date", None, dt.date(2025, 6, 30)),
        ("termination_type", "", "voluntary"),
    }


def test_separation_through_the_page_records_the_manager(client_for, manager, tech_a):
    response = client_for(manager).post(
        f"/technicians/{tech_a.pk}/edit/",
        {
            "employee_id": tech_a.employee_id,
            "first_name": tech_a.first_name,
            "last_name": tech_a.last_name,
            "email": tech_a.email,
            "site": tech_a.site_id,
            "hire_date": "2024-01-15",
            "tier": "TECH1",
            "status": "terminated",
            "termination_date": "2025-06-30",
            "termination_type": "involuntary",
        },
    )

    assert response.status_code == 302, response.content
    row = latest(Technician, id=tech_a.pk)
    assert (row.history_user, row.status, row.termination_type) == (manager, "terminated", "involuntary")


# ---- promotions and the tier assignments they open --------------------------------------------


@pytest.fixture
def eligible_request(tech_a, evaluator, manager):
    """Alice is eligible for Tech II (competency, CPhT, 3 evaluations) and nominated."""
    competency = CompetencyFactory(code="AUDIT_READY", name="Ready basics", items=1)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    today = timezone.localdate()
    achieve(tech_a, evaluator, competency, today - dt.timedelta(days=10))
    certify(tech_a, "CPHT", issued_on=today - dt.timedelta(days=100))
    for back in (3, 2, 1):
        month = today.replace(day=1)
        for _ in range(back):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        evaluate(tech_a, manager, month, 4)
    return tier_services.promotion_nominate(technician=tech_a, nominated_by=manager, effective_date=today)


def test_promotion_approved_on_the_page_records_the_approver_on_every_row(client_for, manager, eligible_request):
    response = client_for(manager).post(f"/promotions/{eligible_request.pk}/approve/")

    assert response.status_code == 302
    approved = latest(Promotion, id=eligible_request.pk)
    assert (approved.status, approved.history_user, approved.decided_by) == ("approved", manager, manager)
    opened = latest(TierAssignment, technician_id=eligible_request.technician_id, reason="promotion")
    assert (opened.history_type, opened.history_user, opened.tier.code) == ("+", manager, "TECH2")
    closed = latest(TierAssignment, technician_id=eligible_request.technician_id, reason="hire")
    assert (closed.history_type, closed.history_user, closed.end_date) == ("~", manager, timezone.localdate())


def test_hr_override_through_the_api_with_a_token_records_hr(token_api, hr, manager, tech_a):
    today = timezone.localdate()
    request = tier_services.promotion_nominate(technician=tech_a, nominated_by=manager, effective_date=today)

    response = token_api(hr).post(
        f"/api/v1/promotions/{request.pk}/approve/", {"justification": "Covering the lead role."}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["decided_by_name"] == "Harriet Reed"
    assert response.json()["nominated_by_name"] == "Mona Patel"
    row = latest(Promotion, id=request.pk)
    assert (row.history_user, row.eligible_at_decision, row.justification) == (hr, False, "Covering the lead role.")
    assert latest(TierAssignment, technician_id=tech_a.pk, reason="promotion").history_user == hr
    assert latest(Promotion, id=request.pk, history_type="+").history_user == manager


# ---- sign-offs and evaluations ---------------------------------------------------------------


def test_signoff_through_the_api_with_a_token_records_the_evaluator(token_api, evaluator, tech_a):
    [item] = items_of(CompetencyFactory(code="AUDIT_SIGN", items=1))

    response = token_api(evaluator).post(
        "/api/v1/signoffs/",
        {"technician": tech_a.pk, "item": item.pk, "signed_on": "2025-05-02", "method": "observation"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["evaluator_name"] == "Eve Evans"
    row = latest(SignOff, technician_id=tech_a.pk)
    assert (row.history_type, row.history_user, row.evaluator) == ("+", evaluator, evaluator)


def test_evaluation_through_the_api_with_a_token_records_the_manager(token_api, manager, tech_a):
    response = token_api(manager).post(
        "/api/v1/evaluations/",
        {
            "technician": tech_a.pk,
            "month": "2025-04-01",
            "accuracy": 4,
            "productivity": 3,
            "teamwork": 5,
            "compliance": 4,
            "communication": 4,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    row = latest(Evaluation, technician_id=tech_a.pk)
    assert (row.history_type, row.history_user, str(row.overall)) == ("+", manager, "4.00")


# ---- certifications -----------------------------------------------------------------------------


def test_certification_recorded_and_verified_through_the_api_with_tokens(token_api, technician_user, hr, tech_a):
    # The technician reports it (unverified); hr verifies it.
    created = token_api(technician_user).post(
        "/api/v1/certifications/",
        {"technician": tech_a.pk, "type": "BLS", "number": "AHA-1", "issued_on": "2025-03-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    verified = token_api(hr).post(f"/api/v1/certifications/{pk}/verify/")

    assert verified.status_code == 200, verified.content
    rows = list(Certification.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [(r.history_type, r.history_user) for r in rows] == [("+", technician_user), ("~", hr)]
    assert rows[-1].history_change_reason == "Verified"


def test_certification_verified_on_the_page_records_the_manager(client_for, manager, tech_a):
    cert = UnverifiedCertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=dt.date(2025, 2, 3))

    response = client_for(manager).post(f"/certifications/{cert.pk}/verify/")

    assert response.status_code == 302
    row = latest(Certification, id=cert.pk)
    assert (row.history_user, row.verified_by) == (manager, manager)


# ---- policy ------------------------------------------------------------------------------------


def test_policy_change_through_the_api_with_a_token_records_hr(token_api, hr):
    response = token_api(hr).patch("/api/v1/certification-policy/", {"ptcb_window_months": 12}, format="json")

    assert response.status_code == 200, response.content
    row = latest(OrgPolicy)
    assert (row.history_user, row.ptcb_window_months) == (hr, 12)
    assert row.history_change_reason == "PTCB window (months): 9 \u2192 12"


def test_policy_change_on_the_page_records_hr(client_for, hr):
    response = client_for(hr).post(
        "/certifications/policy/", {"ptcb_window_months": 10, "practice_pass_mark": 75, "expiring_days": 60}
    )

    assert response.status_code == 302
    row = latest(OrgPolicy)
    assert (row.history_user, row.ptcb_window_months) == (hr, 10)


# ---- commands and tasks: the system ---------------------------------------------------------


def test_a_service_run_by_a_command_records_no_user(tech_a):
    from tiers.services import technician_update

    technician_update(technician=tech_a, data={"status": "leave"})

    assert latest(Technician, id=tech_a.pk).history_user is None


@celery_app.task(name="tests.audit.put_on_leave")
def put_on_leave(technician_id: int) -> None:
    from tiers.services import technician_update

    technician_update(technician=Technician.objects.get(pk=technician_id), data={"status": "leave"})


def test_a_task_run_eagerly_inside_a_request_is_a_system_change(hr, tech_a):
    request = SimpleNamespace(user=hr)
    HistoricalRecords.context.request = request
    try:
        put_on_leave.apply(args=[tech_a.pk])
        # The request is back for whatever the view does after the task.
        assert HistoricalRecords.context.request is request
        tech_a.refresh_from_db()
        tech_a.first_name = "Alicia"
        tech_a.save()
    finally:
        del HistoricalRecords.context.request

    by_task, by_request = Technician.history.filter(id=tech_a.pk).order_by("history_id")[1:3]
    assert (by_task.status, by_task.history_user) == ("leave", None)
    assert (by_request.first_name, by_request.history_user) == ("Alicia", hr)
