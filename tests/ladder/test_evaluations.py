"""Monthly evaluations: the overall score, one per month, acknowledgement by the technician."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from careerladder.core.errors import ApplicationError
from tiers import services
from tiers.models import Evaluation

TODAY = dt.date(2025, 6, 30)
SCORES = {"accuracy": 3, "productivity": 4, "teamwork": 4, "compliance": 3, "communication": 5}


def test_overall_is_the_mean_of_the_five_criteria(tech_a, manager_user):
    evaluation = services.evaluation_create(
        technician=tech_a, evaluator=manager_user, month=dt.date(2025, 6, 17), scores=SCORES, today=TODAY
    )

    # (3 + 4 + 4 + 3 + 5) / 5 = 19 / 5 = 3.80; the month is stored as its first day.
    assert (evaluation.overall, evaluation.month, evaluation.evaluator) == (
        Decimal("3.80"),
        dt.date(2025, 6, 1),
        manager_user,
    )


def test_one_evaluation_per_technician_per_month(tech_a, manager_user):
    services.evaluation_create(
        technician=tech_a, evaluator=manager_user, month=dt.date(2025, 5, 1), scores=SCORES, today=TODAY
    )

    with pytest.raises(ApplicationError) as err:
        services.evaluation_create(
            technician=tech_a, evaluator=manager_user, month=dt.date(2025, 5, 28), scores=SCORES, today=TODAY
        )
    assert (err.value.field, str(err.value)) == ("month", "Alice Archer already has an evaluation for May 2025.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            technician=tech_a, month=dt.date(2025, 5, 1), overall=Decimal("3.00"), evaluator=manager_user, **SCORES
        )


@pytest.mark.parametrize(
    ("month", "scores", "field"),
    [
        (dt.date(2025, 7, 1), SCORES, "month"),  # not started yet
        (dt.date(2023, 12, 1), SCORES, "month"),  # before the hire month (2024-01)
        (dt.date(2025, 5, 1), {**SCORES, "teamwork": 6}, "teamwork"),
        (dt.date(2025, 5, 1), {**SCORES, "accuracy": 0}, "accuracy"),
    ],
)
def test_invalid_evaluations_are_refused(tech_a, manager_user, month, scores, field):
    with pytest.raises(ApplicationError) as err:
        services.evaluation_create(technician=tech_a, evaluator=manager_user, month=month, scores=scores, today=TODAY)

    assert err.value.field == field
    assert Evaluation.objects.count() == 0


def test_the_technician_acknowledges_and_the_evaluation_is_then_locked(tech_a, technician_user, manager_user):
    evaluation = services.evaluation_create(
        technician=tech_a, evaluator=manager_user, month=dt.date(2025, 5, 1), scores=SCORES, today=TODAY
    )
    with pytest.raises(ApplicationError):
        services.evaluation_acknowledge(evaluation=evaluation, user=manager_user)
    services.evaluation_update(evaluation=evaluation, scores={"accuracy": 5})
    evaluation.refresh_from_db()
    assert evaluation.overall == Decimal("4.20")  # (5 + 4 + 4 + 3 + 5) / 5

    services.evaluation_acknowledge(evaluation=evaluation, user=technician_user, comment="Thanks, agreed.")

    evaluation.refresh_from_db()
    assert evaluation.acknowledged_at is not None
    assert evaluation.technician_comment == "Thanks, agreed."
    with pytest.raises(ApplicationError):
        services.evaluation_update(evaluation=evaluation, scores={"accuracy": 1})
    with pytest.raises(ApplicationError):
        services.evaluation_acknowledge(evaluation=evaluation, user=technician_user)


def test_api_records_and_acknowledges(client_for, tech_a, manager_user, technician_user, evaluator_user):
    body = {"technician": tech_a.pk, "month": "2025-05-01", **SCORES, "comments": "Solid month."}

    by_evaluator = client_for(evaluator_user).post("/api/v1/evaluations/", body, content_type="application/json")
    created = client_for(manager_user).post("/api/v1/evaluations/", body, content_type="application/json")
    duplicate = client_for(manager_user).post("/api/v1/evaluations/", body, content_type="application/json")

    assert by_evaluator.status_code == 403
    assert created.status_code == 201, created.json()
    assert (created.json()["overall"], created.json()["evaluator"], created.json()["month"]) == (
        "3.80",
        manager_user.pk,
        "2025-05-01",
    )
    assert duplicate.status_code == 400
    assert list(duplicate.json()) == ["month"]
    url = f"/api/v1/evaluations/{created.json()['id']}/acknowledge/"
    assert client_for(manager_user).post(url, {}, content_type="application/json").status_code == 403
    ack = client_for(technician_user).post(url, {"comment": "OK"}, content_type="application/json")
    assert ack.status_code == 200
    assert ack.json()["technician_comment"] == "OK"
    assert ack.json()["acknowledged_at"] is not None
