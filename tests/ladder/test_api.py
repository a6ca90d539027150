"""The ladder API: competencies, sign-offs, tier requirements and technicians/{id}/progress/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from competencies.models import ChecklistItem, Competency, SignOff
from tests.ladder.factories import CompetencyFactory, items_of, set_requirements, sign


def _today():
    return timezone.localdate()


def test_competencies_list_has_the_contract_fields(client_for, technician_user):
    response = client_for(technician_user).get("/api/v1/competencies/?page_size=100")

    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    billing = rows["BILLING"]
    assert {k: billing[k] for k in ("code", "name", "category", "revalidation_months")} == {
        "code": "BILLING",
        "name": "Insurance billing and adjudication",
        "category": "billing",
        "revalidation_months": 12,
    }
    assert [item["text"] for item in billing["items"]][:2] == [
        "Captures BIN, PCN, group, cardholder ID and person code",
        "Resolves common rejects: 70, 75, 76, 79, 88 and 41",
    ]
    assert set(billing["items"][0]) >= {"id", "text"}
    assert len(rows) == 20


def test_hr_defines_a_competency_and_replaces_its_checklist(client_for, hr_user, manager_user):
    body = {
        "code": "COLD_CHAIN",
        "name": "Cold-chain handling",
        "category": "operations",
        "revalidation_months": 12,
        "items": [{"text": "Logs fridge temperatures twice a day"}, {"text": "Quarantines stock after an excursion"}],
    }

    refused = client_for(manager_user).post("/api/v1/competencies/", body, content_type="application/json")
    created = client_for(hr_user).post("/api/v1/competencies/", body, content_type="application/json")

    assert refused.status_code == 403
    assert created.status_code == 201, created.json()
    first, second = created.json()["items"]
    changed = client_for(hr_user).patch(
        f"/api/v1/competencies/{created.json()['id']}/",
        {
            "items": [
                {"id": second["id"], "text": "Quarantines stock and calls the pharmacist"},
                {"text": "Packs coolers"},
            ]
        },
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.json()
    assert [i["text"] for i in changed.json()["items"]] == [
        "Quarantines stock and calls the pharmacist",
        "Packs coolers",
    ]
    # The left-out item is retired, not deleted (its sign-offs would be history).
    assert ChecklistItem.objects.get(pk=first["id"]).active is False
    no_items = client_for(hr_user).patch(
        f"/api/v1/competencies/{created.json()['id']}/", {"items": []}, content_type="application/json"
    )
    assert no_items.status_code == 400
    assert list(no_items.json()) == ["items"]
    # The checklist is always given whole: an item without its text is refused, in a PATCH too.
    no_text = client_for(hr_user).patch(
        f"/api/v1/competencies/{created.json()['id']}/",
        {"items": [{"id": second["id"], "measure": ""}]},
        content_type="application/json",
    )
    assert no_text.status_code == 400
    assert list(no_text.json()) == ["items"]


def test_hr_sets_tier_requirements_by_code(client_for, hr_user):
    tier_id = client_for(hr_user).get("/api/v1/tiers/").json()["results"][2]["id"]  # TECH3

    response = client_for(hr_user).patch(
        f"/api/v1/tiers/{tier_id}/",
        {
            "required_competencies": ["VENDOR_COMM", "AUTOMATION"],
            "required_certifications": ["CPHT", "TPV"],
            "min_specialty_competencies": 2,
        },
        content_type="application/json",
    )
    too_many = client_for(hr_user).patch(
        f"/api/v1/tiers/{tier_id}/", {"min_specialty_competencies": 9}, content_type="application/json"
    )

    assert response.status_code == 200, response.json()
    requirements = response.json()["requirements"]
    assert sorted(requirements["required_competencies"]) == ["AUTOMATION", "VENDOR_COMM"]
    assert sorted(requirements["required_certifications"]) == ["CPHT", "TPV"]
    assert requirements["min_specialty_competencies"] == 2
    assert too_many.status_code == 400
    assert list(too_many.json()) == ["min_specialty_competencies"]


def test_evaluator_signs_off_through_the_api(client_for, evaluator_user, tech_a):
    item = Competency.objects.get(code="DISPENSING").items.order_by("position").first()

    response = client_for(evaluator_user).post(
        "/api/v1/signoffs/",
        {
            "technician": tech_a.pk,
            "item": item.pk,
            "signed_on": _today().isoformat(),
            "method": "observation",
            "comment": "Scanned all 40 bottles on the morning fill.",
            "evaluator": 999,  # read-only: ignored
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert {k: data[k] for k in ("technician", "item", "signed_on", "method", "result", "comment", "evaluator")} == {
        "technician": tech_a.pk,
        "item": item.pk,
        "signed_on": _today().isoformat(),
        "method": "observation",
        "result": "pass",
        "comment": "Scanned all 40 bottles on the morning fill.",
        "evaluator": evaluator_user.pk,
    }
    assert (data["competency"], data["round"]) == ("DISPENSING", 1)


def test_api_refuses_self_signoff_and_other_roles(client_for, users, evaluator_user, tech_a, tech_b):
    item = Competency.objects.get(code="DISPENSING").items.first()

    def post(user, technician):
        return client_for(user).post(
            "/api/v1/signoffs/",
            {"technician": technician.pk, "item": item.pk, "signed_on": _today().isoformat(), "method": "observation"},
            content_type="application/json",
        )

    assert post(evaluator_user, evaluator_user.technician).status_code == 403  # own checklist
    assert post(users["technician"], tech_a).status_code == 403
    assert post(users["hr"], tech_a).status_code == 403  # hr is not a designated evaluator
    out_of_scope = post(evaluator_user, tech_b)
    assert out_of_scope.status_code == 400
    assert list(out_of_scope.json()) == ["technician"]
    assert SignOff.objects.count() == 0


def test_signoffs_are_scoped(client_for, evaluator_user, technician_user, tech_a, tech_b, hr_user, admin_user):
    competency = CompetencyFactory(code="SCOPE_X", name="Scope basics", items=1)
    sign(tech_a, evaluator_user, items_of(competency), dt.date(2025, 1, 10))
    sign(tech_b, admin_user, items_of(competency), dt.date(2025, 1, 10))  # no technician record; hr signs off nobody

    as_evaluator = client_for(evaluator_user).get("/api/v1/signoffs/").json()
    as_technician = client_for(technician_user).get("/api/v1/signoffs/").json()
    as_hr = client_for(hr_user).get("/api/v1/signoffs/?competency=SCOPE_X").json()

    assert [row["technician"] for row in as_evaluator["results"]] == [tech_a.pk]
    assert [row["technician"] for row in as_technician["results"]] == [tech_a.pk]
    assert as_hr["count"] == 2


def test_progress_endpoint_has_the_ladder_competencies_and_tracks(client_for, technician_user, evaluator_user, tech_a):
    competency = CompetencyFactory(code="PROG_X", name="Progress basics", items=2)
    set_requirements("TECH2", competencies=[competency], certifications=["CPHT"], average="3.00", months=6)
    sign(tech_a, evaluator_user, items_of(competency)[0], _today())
    client = client_for(technician_user)
    client.post(
        "/api/v1/enrolments/", {"technician": tech_a.pk, "position": "POCT_TECH"}, content_type="application/json"
    )

    response = client.get(f"/api/v1/technicians/{tech_a.pk}/progress/")

    assert response.status_code == 200
    data = response.json()
    assert (data["tier"], data["next_tier"], data["eligible"]) == ("TECH1", "TECH2", False)
    assert data["missing"] == [
        {
            "kind": "competency",
            "code": "PROG_X",
            "detail": "Progress basics: 1 of 2 checklist items signed off. Still to sign: Progress basics task 2.",
        },
        {
            "kind": "certification",
            "code": "CPHT",
            "detail": "No current, verified Certified Pharmacy Technician (CPhT) on record.",
        },
        {
            "kind": "evaluation",
            "code": "EVAL_AVG",
            "detail": "0 of the 3 monthly evaluations needed are on record; Pharmacy Technician II needs an average of "
            "at least 3.00 over the last 3.",
        },
    ]
    assert data["competencies"] == [
        {
            "code": "PROG_X",
            "name": "Progress basics",
            "category": "core",
            "status": "in_progress",
            "achieved_on": None,
            "expires_on": None,
            "items_signed": 1,
            "items_total": 2,
            "items_to_sign": ["Progress basics task 2"],
        }
    ]
    [track] = data["tracks"]
    assert (track["track"], track["position"], track["status"], track["ready"]) == (
        "CLINICAL",
        "POCT_TECH",
        "active",
        False,
    )
    assert [m["kind"] for m in track["missing"]] == ["tier", "competency", "certification"]
    assert "ptcb" in data


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_signoffs_are_never_edited_or_deleted_through_the_api(client_for, evaluator_user, tech_a, method):
    competency = CompetencyFactory(code="KEEP_X", name="Keep basics", items=1)
    [signoff] = sign(tech_a, evaluator_user, items_of(competency), dt.date(2025, 1, 10))

    response = getattr(client_for(evaluator_user), method)(
        f"/api/v1/signoffs/{signoff.pk}/", {"comment": "x"}, content_type="application/json"
    )

    assert response.status_code == 405
    assert SignOff.objects.get(pk=signoff.pk).comment == ""
