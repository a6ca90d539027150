"""Input hardening: every serializer and form that takes dates, hours, scores or free text
refuses malformed or absurd values with a clear message, under the field's name, and writes
nothing.

The rules (careerladder/core/validators.py): dates from 1900-01-01 to 2100-12-31 in
``YYYY-MM-DD``; hours never negative and bounded (24 a day, 40 per CE activity, 100 per
programme, 200 in a renewal rule); scores and percentages 0-100 (evaluation criteria 1-5);
every text input has a length limit (long free text 5,000 characters).

Each endpoint or page is first posted with a valid body (it must be accepted, so that the
refusals below are down to the one bad value); then each row of the tables replaces one
field with a bad value and checks:

- API: 400, the field's name as the key, the expected words in its message, and the table
  that would have been written unchanged;
- pages: the form is shown again with the message next to the field (or, for the small
  forms posted from another page, the message at the top of the page it returns to), and
  nothing written.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.validators import MaxValueValidator
from django.forms import BaseForm
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from certifications import services as certification_services
from certifications.models import CertificationType
from competencies.models import ChecklistItem
from technicians.models import Technician
from tests.certifications.factories import CertificationFactory, IncentiveFactory, UnverifiedCertificationFactory
from tests.factories import TechnicianFactory
from tests.training.factories import TrainingAssignmentFactory
from tiers import services as tier_services
from tiers.models import Tier
from tracks.models import TrackPosition
from training.models import Program

pytestmark = pytest.mark.django_db

API = "/api/v1/"
RANGE = "between 1900-01-01 and 2100-12-31"
WRONG_FORMAT = "Date has wrong format"
SCORES = {"medications": 70, "federal_requirements": 82, "patient_safety": 85, "order_entry": 76}
RUBRIC_SCORES = {"accuracy": 4, "productivity": 4, "teamwork": 5, "compliance": 4, "communication": 3}


def text(n: int) -> str:
    return "x" * n


def too_long(limit: int) -> str:
    """The words Django and DRF use for a value one character over ``limit``."""
    return f"{limit} characters"


@pytest.fixture
def world(site_a, tech_a, technician_user, evaluator_user, manager_user, hr_user, admin_user):
    """Alice (tech_a, site A, hired 2024-01-15, mentored by the evaluator's Lead technician) with
    the records the endpoints act on, and a second technician of site A for nominations."""
    today = timezone.localdate()
    lead = evaluator_user.technician
    Technician.objects.filter(pk=tech_a.pk).update(mentor=lead)
    tech_a.refresh_from_db()
    colleague = TechnicianFactory(site=site_a, first_name="Carl", last_name="Cole", employee_id="A-2")
    CertificationFactory(technician=tech_a, issued_on=dt.date(2024, 9, 1), number="CPHT-1001")
    cspt = certification_services.certification_record(
        technician=tech_a,
        type=CertificationType.objects.filter(requires_attestation=True).order_by("code").first(),
        issued_on=dt.date(2024, 10, 1),
        number="CSPT-77",
        recorded_by=manager_user,
    )
    unverified = UnverifiedCertificationFactory(technician=tech_a, number="CPHT-404", issued_on=dt.date(2025, 1, 5))
    incentive = IncentiveFactory(technician=tech_a, eligible_on=dt.date(2025, 1, 10))
    programs = list(Program.objects.filter(active=True).order_by("code")[:3])
    assignment = TrainingAssignmentFactory(
        technician=tech_a, program=programs[2], assigned_on=dt.date(2025, 1, 6), due_on=today + dt.timedelta(days=60)
    )
    evaluation = tier_services.evaluation_create(
        technician=tech_a, evaluator=manager_user, month=dt.date(2025, 1, 1), scores=RUBRIC_SCORES, comments="Steady."
    )
    promotion = tier_services.promotion_nominate(
        technician=tech_a, nominated_by=manager_user, effective_date=today, note="Ready soon."
    )
    item = ChecklistItem.objects.filter(active=True, measure="", competency__active=True).order_by("id").first()
    return {
        "today": today,
        "site": site_a.pk,
        "tech": tech_a.pk,
        "colleague": colleague.pk,
        "lead": lead.pk,
        "cspt": cspt.pk,
        "unverified": unverified.pk,
        "incentive": incentive.pk,
        "programs": [p.pk for p in programs],
        "assignment": assignment.pk,
        "evaluation": evaluation.pk,
        "promotion": promotion.pk,
        "item": item.pk,
        "tier": Tier.objects.get(code="TECH2").pk,
        "position": TrackPosition.objects.order_by("code").first().code,
        "users": {
            "technician": technician_user,
            "evaluator": evaluator_user,
            "manager": manager_user,
            "hr": hr_user,
            "admin": admin_user,
        },
    }


def snapshot(model_label: str) -> list[dict]:
    """Every row of the table, so that "nothing written" covers inserts and updates alike."""
    return list(apps.get_model(model_label).objects.order_by("pk").values())


def with_value(body: dict, path: str, value: Any) -> dict:
    """``body`` with ``path`` (``a`` or ``a.b`` or ``a.0.b``) set to ``value``."""
    body = {**body}
    head, _, rest = path.partition(".")
    if not rest:
        body[head] = value
        return body
    inner = body[head]
    if isinstance(inner, list):
        index, _, rest2 = rest.partition(".")
        items = list(inner)
        items[int(index)] = with_value(items[int(index)], rest2, value) if rest2 else value
        body[head] = items
    else:
        body[head] = with_value(inner, rest, value)
    return body


# ---------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    role: str
    method: str
    url: Callable[[dict], str]
    body: Callable[[dict], dict]
    table: str
    ok: int = 201


ENDPOINTS: dict[str, Endpoint] = {
    "sites": Endpoint(
        "hr",
        "post",
        lambda w: "sites/",
        lambda w: {"code": "C01", "name": "Clinic", "kind": "clinic", "state": "OH"},
        "technicians.Site",
    ),
    "users": Endpoint(
        "hr",
        "post",
        lambda w: "users/",
        lambda w: {"username": "newlogin", "password": "a-long-Passphrase-9", "role": "manager", "sites": [w["site"]]},
        "technicians.User",
    ),
    "technicians": Endpoint(
        "hr",
        "post",
        lambda w: "technicians/",
        lambda w: {
            "employee_id": "H-100",
            "first_name": "Hana",
            "last_name": "Hill",
            "email": "hana@example.org",
            "site": w["site"],
            "hire_date": "2025-03-03",
        },
        "technicians.Technician",
    ),
    "technician-separation": Endpoint(
        "hr",
        "patch",
        lambda w: f"technicians/{w['colleague']}/",
        lambda w: {
            "status": "terminated",
            "termination_date": "2025-06-30",
            "termination_type": "voluntary",
            "exit_reason": "pay",
            "exit_notes": "Moved closer to family.",
        },
        "technicians.Technician",
        ok=200,
    ),
    "tiers": Endpoint(
        "hr",
        "patch",
        lambda w: f"tiers/{w['tier']}/",
        lambda w: {"duties": "Fills, counts and restocks.", "min_evaluation_average": "3.50"},
        "tiers.Tier",
        ok=200,
    ),
    "competencies": Endpoint(
        "hr",
        "post",
        lambda w: "competencies/",
        lambda w: {
            "code": "IV_ADMIXTURE",
            "name": "IV admixture",
            "category": "compounding",
            "revalidation_months": 12,
            "description": "Prepares IV admixtures in the cleanroom.",
            "items": [{"text": "Garbs in the right order"}],
        },
        "competencies.Competency",
    ),
    "signoffs": Endpoint(
        "evaluator",
        "post",
        lambda w: "signoffs/",
        lambda w: {
            "technician": w["tech"],
            "item": w["item"],
            "signed_on": "2025-02-03",
            "method": "observation",
            "result": "pass",
            "comment": "Clean counts.",
        },
        "competencies.SignOff",
    ),
    "tct-logs": Endpoint(
        "evaluator",
        "post",
        lambda w: "tct-logs/",
        lambda w: {
            "technician": w["tech"],
            "checked_on": "2025-02-03",
            "verifications": 120,
            "errors": 0,
            "note": "AM",
        },
        "competencies.TctValidationLog",
    ),
    "evaluations": Endpoint(
        "manager",
        "post",
        lambda w: "evaluations/",
        lambda w: {"technician": w["tech"], "month": "2025-02-01", **RUBRIC_SCORES, "comments": "Good month."},
        "tiers.Evaluation",
    ),
    "evaluation-acknowledge": Endpoint(
        "technician",
        "post",
        lambda w: f"evaluations/{w['evaluation']}/acknowledge/",
        lambda w: {"comment": "Thanks, agreed."},
        "tiers.Evaluation",
        ok=200,
    ),
    "promotions": Endpoint(
        "manager",
        "post",
        lambda w: "promotions/",
        lambda w: {"technician": w["colleague"], "effective_date": w["today"].isoformat(), "note": "Ready."},
        "tiers.Promotion",
    ),
    "promotion-approve": Endpoint(
        "hr",
        "post",
        lambda w: f"promotions/{w['promotion']}/approve/",
        lambda w: {"justification": "Covering the lead role since May."},
        "tiers.Promotion",
        ok=200,
    ),
    "promotion-reject": Endpoint(
        "manager",
        "post",
        lambda w: f"promotions/{w['promotion']}/reject/",
        lambda w: {"reason": "Needs the sterile compounding sign-offs first."},
        "tiers.Promotion",
        ok=200,
    ),
    "enrolments": Endpoint(
        "manager",
        "post",
        lambda w: "enrolments/",
        lambda w: {"technician": w["tech"], "position": w["position"], "enrolled_on": "2025-01-06"},
        "tracks.Enrolment",
    ),
    "leadership-hours": Endpoint(
        "manager",
        "post",
        lambda w: "leadership-hours/",
        lambda w: {
            "technician": w["tech"],
            "kind": "shadowing",
            "worked_on": "2025-02-10",
            "hours": "3.5",
            "activity": "Shadowed the inventory count.",
        },
        "tracks.LeadershipHourLog",
    ),
    "mentoring-meetings": Endpoint(
        "manager",
        "post",
        lambda w: "mentoring-meetings/",
        lambda w: {
            "mentee": w["tech"],
            "met_on": "2025-02-12",
            "minutes": 30,
            "topics": "PTCE study plan",
            "notes": "Two practice tests a month.",
            "next_steps": "Book the exam.",
        },
        "tracks.MentoringMeeting",
    ),
    "certification-types": Endpoint(
        "hr",
        "post",
        lambda w: "certification-types/",
        lambda w: {
            "code": "OH_REG",
            "name": "Ohio registration",
            "category": "state",
            "state": "OH",
            "validity_months": 24,
            "ce_hours_required": "6.00",
            "renewal_notes": "Renews every two years.",
        },
        "certifications.CertificationType",
    ),
    "certification-policy": Endpoint(
        "hr",
        "patch",
        lambda w: "certification-policy/",
        lambda w: {"practice_pass_mark": 80},
        "certifications.OrgPolicy",
        ok=200,
    ),
    "certifications": Endpoint(
        "manager",
        "post",
        lambda w: "certifications/",
        lambda w: {"technician": w["tech"], "type": "CPHT", "number": "5550001", "issued_on": "2025-01-10"},
        "certifications.Certification",
    ),
    "certification-reject": Endpoint(
        "manager",
        "post",
        lambda w: f"certifications/{w['unverified']}/reject/",
        lambda w: {"reason": "Number not found in PTCB's lookup."},
        "certifications.Certification",
        ok=200,
    ),
    "attestations": Endpoint(
        "manager",
        "post",
        lambda w: "attestations/",
        lambda w: {
            "certification": w["cspt"],
            "attested_on": "2025-03-01",
            "supervisor_name": "Dr. Ruth Patel",
            "supervisor_qualification": "Pharmacist, USP <797> designated person",
            "notes": "Aseptic technique observed.",
        },
        "certifications.Attestation",
    ),
    "ptcb-extensions": Endpoint(
        "manager",
        "post",
        lambda w: "ptcb-extensions/",
        lambda w: {
            "technician": w["tech"],
            "extended_to": (w["today"] + dt.timedelta(days=200)).isoformat(),
            "reason": "Exam rescheduled by the test centre.",
        },
        "certifications.PtcbExtension",
    ),
    "practice-tests": Endpoint(
        "technician",
        "post",
        lambda w: "practice-tests/",
        lambda w: {"taken_on": "2025-02-01", "source": "Medical Hero", "score": 74, "domain_scores": SCORES},
        "certifications.PracticeTest",
    ),
    "ce-credits": Endpoint(
        "technician",
        "post",
        lambda w: "ce-credits/",
        lambda w: {
            "completed_on": "2025-02-01",
            "title": "Pharmacy law update",
            "provider": "Power-Pak C.E.",
            "uan": "0145-0000-25-012-H03-T",
            "hours": "1.50",
        },
        "certifications.CECredit",
    ),
    "incentive-programs": Endpoint(
        "hr",
        "post",
        lambda w: "incentive-programs/",
        lambda w: {
            "code": "CE_BONUS_2",
            "name": "CE bonus",
            "kind": "bonus",
            "trigger": "ce_completion",
            "amount": "150.00",
            "effective_from": "2025-01-01",
            "description": "Paid once a renewal cycle's CE is complete.",
        },
        "incentives.IncentiveProgram",
    ),
    "incentive-award": Endpoint(
        "manager",
        "post",
        lambda w: f"incentives/{w['incentive']}/award/",
        lambda w: {"awarded_on": "2025-03-01", "amount": "1.00", "note": "March payroll."},
        "incentives.Incentive",
        ok=200,
    ),
    "programs": Endpoint(
        "hr",
        "post",
        lambda w: "programs/",
        lambda w: {
            "code": "IV_ROOM",
            "name": "IV room basics",
            "category": "cross_training",
            "ce_hours": "2.00",
            "description": "Two afternoons in the cleanroom.",
        },
        "training.Program",
    ),
    "training-assignments": Endpoint(
        "manager",
        "post",
        lambda w: "training-assignments/",
        lambda w: {
            "technician": w["tech"],
            "program": w["programs"][0],
            "due_on": (w["today"] + dt.timedelta(days=30)).isoformat(),
            "note": "Before the audit.",
        },
        "training.TrainingAssignment",
    ),
    "training-bulk": Endpoint(
        "manager",
        "post",
        lambda w: "training-assignments/bulk/",
        lambda w: {
            "program": w["programs"][1],
            "site": w["site"],
            "due_on": (w["today"] + dt.timedelta(days=30)).isoformat(),
            "note": "Everyone at the site.",
        },
        "training.TrainingAssignment",
    ),
    "training-complete": Endpoint(
        "technician",
        "post",
        lambda w: f"training-assignments/{w['assignment']}/complete/",
        lambda w: {"completed_on": "2025-02-01"},
        "training.TrainingAssignment",
        ok=200,
    ),
    "rotations": Endpoint(
        "manager",
        "post",
        lambda w: "rotations/",
        lambda w: {
            "technician": w["tech"],
            "station": "intake",
            "start": "2025-03-03",
            "end": "2025-03-07",
            "note": "Covering the front.",
        },
        "training.Rotation",
    ),
}


@dataclass(frozen=True)
class Bad:
    endpoint: str
    field: str
    value: Any
    message: str
    key: str = ""  # the error's key when it is not the field's first part

    @property
    def error_key(self) -> str:
        return self.key or self.field.split(".")[0]


API_CASES = [
    Bad("sites", "name", text(121), too_long(120)),
    Bad("users", "password", text(129), too_long(128)),
    Bad("users", "first_name", text(151), too_long(150)),
    Bad("technicians", "hire_date", "1899-12-31", RANGE),
    Bad("technicians", "hire_date", "2025-02-30", WRONG_FORMAT),
    Bad("technicians", "hire_date", "15/01/2025", WRONG_FORMAT),
    Bad("technicians", "first_name", text(81), too_long(80)),
    Bad("technician-separation", "termination_date", "2101-01-01", RANGE),
    Bad("technician-separation", "exit_notes", text(4001), too_long(4000)),
    Bad("tiers", "duties", text(5001), too_long(5000)),
    Bad("tiers", "min_evaluation_average", "6", "less than or equal to 5"),
    Bad("competencies", "description", text(5001), too_long(5000)),
    Bad("competencies", "items.0.text", text(301), too_long(300)),
    Bad("signoffs", "signed_on", "1899-12-31", RANGE),
    Bad("signoffs", "comment", text(501), too_long(500)),
    Bad("signoffs", "measurement", "-1", "greater than or equal to 0"),
    Bad("tct-logs", "checked_on", "2025-13-01", WRONG_FORMAT),
    Bad("tct-logs", "note", text(301), too_long(300)),
    Bad("evaluations", "month", "1899-12-01", RANGE),
    Bad("evaluations", "accuracy", 6, "less than or equal to 5"),
    Bad("evaluations", "teamwork", 0, "greater than or equal to 1"),
    Bad("evaluations", "comments", text(4001), too_long(4000)),
    Bad("evaluation-acknowledge", "comment", text(2001), too_long(2000)),
    Bad("promotions", "effective_date", "2101-01-01", RANGE),
    Bad("promotions", "note", text(2001), too_long(2000)),
    Bad("promotion-approve", "justification", text(4001), too_long(4000)),
    Bad("promotion-reject", "reason", text(2001), too_long(2000)),
    Bad("enrolments", "enrolled_on", "1899-01-01", RANGE),
    Bad("leadership-hours", "hours", "-2", "greater than or equal to 0.01"),
    Bad("leadership-hours", "hours", "25", "less than or equal to 24"),
    Bad("leadership-hours", "worked_on", "2101-01-01", RANGE),
    Bad("leadership-hours", "activity", text(301), too_long(300)),
    Bad("mentoring-meetings", "met_on", "1899-06-01", RANGE),
    Bad("mentoring-meetings", "notes", text(4001), too_long(4000)),
    Bad("mentoring-meetings", "topics", text(301), too_long(300)),
    Bad("certification-types", "ce_hours_required", "-1", "greater than or equal to 0"),
    Bad("certification-types", "ce_hours_required", "250", "less than or equal to 200"),
    Bad("certification-types", "renewal_notes", text(5001), too_long(5000)),
    Bad("certification-policy", "practice_pass_mark", 101, "less than or equal to 100"),
    Bad("certification-policy", "practice_pass_mark", 0, "greater than or equal to 1"),
    Bad("certifications", "issued_on", "199-11-04", WRONG_FORMAT),
    Bad("certifications", "issued_on", "0199-11-04", RANGE),
    Bad("certifications", "expires_on", "2101-01-01", RANGE),
    Bad("certifications", "number", text(61), too_long(60)),
    Bad("certification-reject", "reason", text(501), too_long(500)),
    Bad("attestations", "attested_on", "1000-01-01", RANGE),
    Bad("attestations", "notes", text(2001), too_long(2000)),
    Bad("ptcb-extensions", "extended_to", "2101-01-01", RANGE),
    Bad("ptcb-extensions", "reason", text(1001), too_long(1000)),
    Bad("practice-tests", "score", 101, "less than or equal to 100"),
    Bad("practice-tests", "score", -1, "greater than or equal to 0"),
    Bad("practice-tests", "domain_scores.medications", 101, "less than or equal to 100"),
    Bad("practice-tests", "taken_on", "1800-01-01", RANGE),
    Bad("practice-tests", "source", text(81), too_long(80)),
    Bad("ce-credits", "hours", "-1", "greater than or equal to 0.01"),
    Bad("ce-credits", "hours", "41", "less than or equal to 40"),
    Bad("ce-credits", "completed_on", "02/01/2025", WRONG_FORMAT),
    Bad("ce-credits", "title", text(201), too_long(200)),
    Bad("incentive-programs", "effective_from", "0199-11-04", RANGE),
    Bad("incentive-programs", "description", text(5001), too_long(5000)),
    Bad("incentive-programs", "amount", "-5", "greater than or equal to 0"),
    Bad("incentive-award", "awarded_on", "2101-01-01", RANGE),
    Bad("incentive-award", "amount", "-1", "greater than or equal to 0"),
    Bad("incentive-award", "note", text(301), too_long(300)),
    Bad("programs", "ce_hours", "-1", "greater than or equal to 0.01"),
    Bad("programs", "ce_hours", "101", "less than or equal to 100"),
    Bad("programs", "description", text(5001), too_long(5000)),
    Bad("training-assignments", "due_on", "2101-01-01", RANGE),
    Bad("training-assignments", "assigned_on", "1899-12-31", RANGE),
    Bad("training-assignments", "note", text(301), too_long(300)),
    Bad("training-bulk", "due_on", "0001-01-01", RANGE),
    Bad("training-bulk", "note", text(301), too_long(300)),
    Bad("training-complete", "completed_on", "1899-12-31", RANGE),
    Bad("training-complete", "uan", text(41), too_long(40)),
    Bad("rotations", "start", "1899-12-31", RANGE),
    Bad("rotations", "end", "2101-01-01", RANGE),
    Bad("rotations", "note", text(301), too_long(300)),
]


def _api_call(client, world, endpoint: Endpoint, body: dict):
    return getattr(client, endpoint.method)(f"{API}{endpoint.url(world)}", body, content_type="application/json")


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_api_accepts_the_valid_body(name, client_for, world):
    """The baseline: each endpoint's valid body is accepted and written, so that each refusal
    below is down to the one bad value."""
    endpoint = ENDPOINTS[name]
    client = client_for(world["users"][endpoint.role])
    before = snapshot(endpoint.table)
    response = _api_call(client, world, endpoint, endpoint.body(world))
    assert response.status_code == endpoint.ok, response.content
    assert snapshot(endpoint.table) != before


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: f"{c.endpoint}-{c.field}-{str(c.value)[:12]}")
def test_api_refuses_bad_input_and_writes_nothing(case, client_for, world):
    endpoint = ENDPOINTS[case.endpoint]
    client = client_for(world["users"][endpoint.role])  # logging in writes last_login: before the snapshot
    before = snapshot(endpoint.table)
    response = _api_call(client, world, endpoint, with_value(endpoint.body(world), case.field, case.value))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert case.error_key in errors, errors
    assert case.message in str(errors[case.error_key]), errors
    assert snapshot(endpoint.table) == before


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=0316-02-19&end=2025-03-31", "start", RANGE),
        ("start=2025-03-01&end=5417-06-16", "end", RANGE),
        ("start=2025-02-30&end=2025-03-31", "start", WRONG_FORMAT),
    ],
)
def test_kpi_period_refuses_absurd_dates(query, field, message, client_for, world):
    response = client_for(world["users"]["hr"]).get(f"{API}kpis/?{query}")
    assert response.status_code == 400
    assert message in str(response.json()[field])


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("rotations/?start=2025-13-01", "start", WRONG_FORMAT),
        ("rotations/?end=2101-01-01", "end", RANGE),
        ("training-assignments/?technician=abc", "technician", "A valid integer is required"),
        ("training-assignments/?status=late", "status", "is not a valid choice"),
        ("training-matrix/?kind=everything", "kind", "is not a valid choice"),
        ("training-matrix/?site=-3", "site", "greater than or equal to 1"),
    ],
)
def test_list_filters_refuse_malformed_values_instead_of_ignoring_them(query, field, message, client_for, world):
    """An ignored filter would answer with every row, which reads as the filtered answer."""
    response = client_for(world["users"]["hr"]).get(f"{API}{query}")
    assert response.status_code == 400
    assert message in str(response.json()[field])


def test_kpi_snapshot_month_refuses_absurd_months(client_for, world):
    response = client_for(world["users"]["hr"]).get(f"{API}kpi-snapshots/?month=0316-02")
    assert response.status_code == 400
    assert RANGE in str(response.json()["month"])


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    role: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    table: str
    prefix: str = ""
    # Small forms posted from another page redirect back and show the problem at its top.
    redirects: bool = False
    extra: dict = field(default_factory=dict)


def _formset(prefix: str, rows: int = 3) -> dict:
    management = {
        f"{prefix}-TOTAL_FORMS": rows,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    return management | {f"{prefix}-{n}-passes_required": 1 for n in range(rows)}


PAGES: dict[str, Page] = {
    "technician-new": Page(
        "hr",
        lambda w: reverse("technicians:create"),
        lambda w: {
            "employee_id": "H-100",
            "first_name": "Hana",
            "last_name": "Hill",
            "email": "hana@example.org",
            "site": w["site"],
            "hire_date": "2025-03-03",
            "tier": "TECH1",
        },
        "technicians.Technician",
    ),
    "tier-requirements": Page(
        "hr",
        lambda w: reverse("tiers:tier-edit", args=[w["tier"]]),
        lambda w: {
            "expected_months": 24,
            "duties": "Fills, counts and restocks.",
            "min_evaluation_average": "3.50",
            "min_specialty_competencies": 0,
        },
        "tiers.Tier",
    ),
    "competency-new": Page(
        "hr",
        lambda w: reverse("competencies:competency-create"),
        lambda w: {
            "code": "IV_ADMIXTURE",
            "name": "IV admixture",
            "category": "compounding",
            "revalidation_months": 12,
            "description": "Prepares IV admixtures in the cleanroom.",
            "active": "on",
            **_formset("items"),
            "items-0-text": "Garbs in the right order",
        },
        "competencies.Competency",
    ),
    "signoff-sheet": Page(
        "evaluator",
        lambda w: reverse("competencies:signoffs", args=[w["tech"]]),
        lambda w: {
            "signed_on": "2025-02-03",
            "method": "observation",
            "result": "pass",
            "comment": "Clean counts.",
            "item": [w["item"]],
        },
        "competencies.SignOff",
    ),
    "evaluation": Page(
        "manager",
        lambda w: reverse("tiers:evaluations", args=[w["tech"]]),
        lambda w: {"month": "2025-02", **RUBRIC_SCORES, "comments": "Good month."},
        "tiers.Evaluation",
    ),
    "nomination": Page(
        "manager",
        lambda w: reverse("tiers:promotion-create", args=[w["colleague"]]),
        lambda w: {"effective_date": w["today"].isoformat(), "note": "Ready."},
        "tiers.Promotion",
    ),
    "tct-log": Page(
        "evaluator",
        lambda w: reverse("competencies:logs", args=[w["tech"]]),
        lambda w: {"checked_on": "2025-02-03", "verifications": 120, "errors": 0, "note": "AM"},
        "competencies.TctValidationLog",
        prefix="tct",
        extra={"log": "tct"},
    ),
    "leadership-hours": Page(
        "manager",
        lambda w: reverse("competencies:logs", args=[w["tech"]]),
        lambda w: {"kind": "shadowing", "worked_on": "2025-02-10", "hours": "3.5", "activity": "Shadowed the count."},
        "tracks.LeadershipHourLog",
        prefix="hours",
        extra={"log": "hours"},
    ),
    "mentoring-meeting": Page(
        "manager",
        lambda w: reverse("tracks:mentoring"),
        lambda w: {
            "mentee": w["tech"],
            "met_on": "2025-02-12",
            "minutes": 30,
            "topics": "PTCE study plan",
            "notes": "Two practice tests a month.",
            "next_steps": "Book the exam.",
        },
        "tracks.MentoringMeeting",
        prefix="meeting",
        extra={"form": "meeting"},
    ),
    "evaluation-acknowledge": Page(
        "technician",
        lambda w: reverse("tiers:evaluation-acknowledge", args=[w["evaluation"]]),
        lambda w: {"comment": "Thanks, agreed."},
        "tiers.Evaluation",
        redirects=True,
    ),
    "promotion-approve": Page(
        "hr",
        lambda w: reverse("tiers:promotion-approve", args=[w["promotion"]]),
        lambda w: {"justification": "Covering the lead role since May."},
        "tiers.Promotion",
        redirects=True,
    ),
    "promotion-reject": Page(
        "manager",
        lambda w: reverse("tiers:promotion-reject", args=[w["promotion"]]),
        lambda w: {"reason": "Needs the sterile compounding sign-offs first."},
        "tiers.Promotion",
        redirects=True,
    ),
    "certification-add": Page(
        "manager",
        lambda w: reverse("certifications:certification-add", args=[w["tech"]]),
        lambda w: {
            "type": CertificationType.objects.get(code="CPHT").pk,
            "number": "5550001",
            "issued_on": "2025-01-10",
        },
        "certifications.Certification",
    ),
    "certification-return": Page(
        "manager",
        lambda w: reverse("certifications:certification-reject", args=[w["unverified"]]),
        lambda w: {"reason": "Number not found in PTCB's lookup."},
        "certifications.Certification",
    ),
    "ce-credit-add": Page(
        "technician",
        lambda w: reverse("certifications:ce-credit-add", args=[w["tech"]]),
        lambda w: {
            "completed_on": "2025-02-01",
            "title": "Pharmacy law update",
            "provider": "Power-Pak C.E.",
            "uan": "0145-0000-25-012-H03-T",
            "hours": "1.50",
        },
        "certifications.CECredit",
    ),
    "practice-test-add": Page(
        "technician",
        lambda w: reverse("certifications:practice-test-add", args=[w["tech"]]),
        lambda w: {
            "taken_on": "2025-02-01",
            "source": "Medical Hero",
            "score": 74,
            **{f"domain_{key}": value for key, value in SCORES.items()},
        },
        "certifications.PracticeTest",
    ),
    "ptcb-extension": Page(
        "manager",
        lambda w: reverse("certifications:ptcb-extension-add", args=[w["tech"]]),
        lambda w: {
            "extended_to": (w["today"] + dt.timedelta(days=200)).isoformat(),
            "reason": "Exam rescheduled by the test centre.",
        },
        "certifications.PtcbExtension",
    ),
    "attestation": Page(
        "manager",
        lambda w: reverse("certifications:attestation-add", args=[w["cspt"]]),
        lambda w: {
            "attested_on": "2025-03-01",
            "supervisor_name": "Dr. Ruth Patel",
            "supervisor_qualification": "Pharmacist, USP <797> designated person",
            "notes": "Aseptic technique.",
        },
        "certifications.Attestation",
    ),
    "incentive-award": Page(
        "manager",
        lambda w: reverse("incentives:incentive-award", args=[w["incentive"]]),
        lambda w: {"awarded_on": "2025-03-01", "amount": "1.00", "note": "March payroll."},
        "incentives.Incentive",
    ),
    "policy": Page(
        "hr",
        lambda w: reverse("certifications:policy"),
        lambda w: {"ptcb_window_months": 9, "practice_pass_mark": 80, "expiring_days": 60},
        "certifications.OrgPolicy",
    ),
    "certification-type-new": Page(
        "hr",
        lambda w: reverse("certifications:type-create"),
        lambda w: {
            "code": "OH_REG",
            "name": "Ohio registration",
            "issuing_body": "Ohio Board of Pharmacy",
            "category": "state",
            "state": "OH",
            "validity_months": 24,
            "ce_hours_required": "6.00",
            "min_law_hours": "0",
            "min_patient_safety_hours": "0",
            "min_technician_hours": "0",
            "renewal_window_opens_days": 60,
            "renewal_due_days": 30,
            "renewal_notes": "Renews every two years.",
        },
        "certifications.CertificationType",
    ),
    "incentive-program-new": Page(
        "hr",
        lambda w: reverse("incentives:program-create"),
        lambda w: {
            "code": "CE_BONUS_2",
            "name": "CE bonus",
            "kind": "bonus",
            "trigger": "ce_completion",
            "amount": "150.00",
            "effective_from": "2025-01-01",
            "active": "on",
            "description": "Paid once a renewal cycle's CE is complete.",
        },
        "incentives.IncentiveProgram",
    ),
    "training-assign": Page(
        "manager",
        lambda w: reverse("training:assign", args=[w["tech"]]),
        lambda w: {
            "program": w["programs"][0],
            "due_on": (w["today"] + dt.timedelta(days=30)).isoformat(),
            "note": "Before the audit.",
        },
        "training.TrainingAssignment",
    ),
    "training-bulk-assign": Page(
        "manager",
        lambda w: reverse("training:bulk-assign"),
        lambda w: {
            "program": w["programs"][1],
            "site": w["site"],
            "due_on": (w["today"] + dt.timedelta(days=30)).isoformat(),
            "note": "Everyone at the site.",
        },
        "training.TrainingAssignment",
    ),
    "training-complete": Page(
        "technician",
        lambda w: reverse("training:assignment-complete", args=[w["assignment"]]),
        lambda w: {"completed_on": "2025-02-01"},
        "training.TrainingAssignment",
        redirects=True,
    ),
    "rotation": Page(
        "manager",
        lambda w: f"{reverse('training:rotations')}?site={w['site']}",
        lambda w: {
            "technician": w["tech"],
            "station": "intake",
            "start": "2025-03-03",
            "end": "2025-03-07",
            "note": "Covering the front.",
        },
        "training.Rotation",
    ),
}

PAGE_CASES = [
    Bad("technician-new", "hire_date", "1899-12-31", RANGE),
    Bad("technician-new", "hire_date", "2025-02-30", "Enter a valid date"),
    Bad("technician-new", "first_name", text(81), too_long(80)),
    Bad("tier-requirements", "duties", text(5001), too_long(5000)),
    Bad("tier-requirements", "min_evaluation_average", "6", "less than or equal to 5"),
    Bad("competency-new", "description", text(5001), too_long(5000)),
    Bad("signoff-sheet", "signed_on", "1899-12-31", RANGE),
    Bad("signoff-sheet", "comment", text(501), too_long(500)),
    Bad("evaluation", "month", "1899-12", RANGE),
    Bad("evaluation", "accuracy", 6, "less than or equal to 5"),
    Bad("evaluation", "comments", text(4001), too_long(4000)),
    Bad("nomination", "effective_date", "2101-01-01", RANGE),
    Bad("nomination", "note", text(2001), too_long(2000)),
    Bad("tct-log", "checked_on", "2025-13-01", "Enter a valid date"),
    Bad("tct-log", "note", text(301), too_long(300)),
    Bad("leadership-hours", "hours", "-2", "greater than or equal to 0.5"),
    Bad("leadership-hours", "hours", "25", "less than or equal to 24"),
    Bad("leadership-hours", "worked_on", "2101-01-01", RANGE),
    Bad("mentoring-meeting", "met_on", "1899-06-01", RANGE),
    Bad("mentoring-meeting", "notes", text(4001), too_long(4000)),
    Bad("evaluation-acknowledge", "comment", text(2001), too_long(2000)),
    Bad("promotion-approve", "justification", text(4001), too_long(4000)),
    Bad("promotion-reject", "reason", text(2001), too_long(2000)),
    Bad("certification-add", "issued_on", "0199-11-04", RANGE),
    Bad("certification-add", "expires_on", "2101-01-01", RANGE),
    Bad("certification-add", "number", text(61), too_long(60)),
    Bad("certification-return", "reason", text(501), too_long(500)),
    Bad("ce-credit-add", "hours", "0", "greater than or equal to 0.01"),
    Bad("ce-credit-add", "hours", "41", "less than or equal to 40"),
    Bad("ce-credit-add", "completed_on", "2025-02-30", "Enter a valid date"),
    Bad("ce-credit-add", "title", text(201), too_long(200)),
    Bad("practice-test-add", "score", 101, "less than or equal to 100"),
    Bad("practice-test-add", "domain_medications", -1, "greater than or equal to 0"),
    Bad("practice-test-add", "taken_on", "1800-01-01", RANGE),
    Bad("ptcb-extension", "extended_to", "2101-01-01", RANGE),
    Bad("ptcb-extension", "reason", text(1001), too_long(1000)),
    Bad("attestation", "attested_on", "1000-01-01", RANGE),
    Bad("attestation", "notes", text(2001), too_long(2000)),
    Bad("incentive-award", "awarded_on", "2101-01-01", RANGE),
    Bad("incentive-award", "amount", "-1", "greater than or equal to 0"),
    Bad("policy", "practice_pass_mark", 101, "less than or equal to 100"),
    Bad("certification-type-new", "ce_hours_required", "-1", "cannot be negative"),
    Bad("certification-type-new", "renewal_notes", text(5001), too_long(5000)),
    Bad("incentive-program-new", "effective_from", "0199-11-04", RANGE),
    Bad("incentive-program-new", "description", text(5001), too_long(5000)),
    Bad("incentive-program-new", "amount", "-5", "An amount is 0 or more"),
    Bad("training-assign", "due_on", "2101-01-01", RANGE),
    Bad("training-assign", "note", text(301), too_long(300)),
    Bad("training-bulk-assign", "due_on", "0001-01-01", RANGE),
    Bad("training-complete", "completed_on", "1899-12-31", RANGE),
    Bad("rotation", "start", "1899-12-31", RANGE),
    Bad("rotation", "note", text(301), too_long(300)),
]


def _post_page(client, world, page: Page, data: dict):
    named = {(f"{page.prefix}-{k}" if page.prefix else k): v for k, v in data.items()}
    return client.post(page.url(world), {**named, **page.extra})


def _bound_form_errors(response) -> dict:
    errors: dict = {}
    for context in response.context or []:
        for layer in context.dicts:
            for value in layer.values():
                if isinstance(value, BaseForm) and value.is_bound:
                    errors.update(value.errors)
    return errors


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_accepts_the_valid_form(name, client_for, world):
    page = PAGES[name]
    client = client_for(world["users"][page.role])
    before = snapshot(page.table)
    response = _post_page(client, world, page, page.data(world))
    assert response.status_code == 302, _bound_form_errors(response) if response.context else response
    assert snapshot(page.table) != before


@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: f"{c.endpoint}-{c.field}-{str(c.value)[:12]}")
def test_page_refuses_bad_input_and_writes_nothing(case, client_for, world):
    page = PAGES[case.endpoint]
    client = client_for(world["users"][page.role])
    before = snapshot(page.table)
    response = _post_page(client, world, page, {**page.data(world), case.field: case.value})
    if page.redirects:
        # The form lives on another page: the problem is said at the top of the page it returns to.
        assert response.status_code == 302
        shown = client.get(response.url)
        assert case.message in html.unescape(shown.content.decode())
    else:
        assert response.status_code == 200
        errors = _bound_form_errors(response)
        assert case.field in errors, errors
        message = next(m for m in errors[case.field] if case.message in m)
        assert html.escape(message) in response.content.decode() or message in response.content.decode()
    assert snapshot(page.table) == before


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=0316-02-19&end=2025-03-31", "start", RANGE),
        ("start=2025-03-01&end=2025-02-30", "end", "Enter a valid date"),
    ],
)
def test_report_period_refuses_absurd_dates(query, field, message, client_for, world):
    response = client_for(world["users"]["hr"]).get(f"{reverse('metrics:reports')}?{query}")
    assert response.status_code == 200
    assert any(message in m for m in _bound_form_errors(response)[field])


def test_date_inputs_tell_the_browser_the_range(client_for, world):
    response = client_for(world["users"]["manager"]).get(
        reverse("certifications:certification-add", args=[world["tech"]])
    )
    page = response.content.decode()
    assert 'name="issued_on"' in page
    assert 'min="1900-01-01"' in page and 'max="2100-12-31"' in page


def test_limits_are_the_same_in_the_model_the_form_and_the_api():
    """One rule each: the CE hours limit of the model, the page form and the API serializer."""
    from careerladder.core.validators import MAX_CE_ACTIVITY_HOURS
    from certifications.api.serializers import CECreditSerializer
    from certifications.forms import CECreditForm
    from certifications.models import CECredit

    model_max = [
        v.limit_value for v in CECredit._meta.get_field("hours").validators if isinstance(v, MaxValueValidator)
    ]
    assert model_max == [MAX_CE_ACTIVITY_HOURS] == [Decimal("40")]
    assert CECreditForm().fields["hours"].max_value == Decimal("40")
    assert CECreditSerializer().fields["hours"].max_value == Decimal("40")


# ---------------------------------------------------------------------------------------------
# Control characters (careerladder/core/validators.py, refused by ControlCharacterMiddleware)
# ---------------------------------------------------------------------------------------------

CONTROL = "control character"
NUL = "a\x00b"


def _poisoned(body: dict) -> tuple[str, dict]:
    """The first field of a valid body that holds text (a code, a name, a date as typed), or
    else its first field, with a NUL byte in it."""
    name = next((key for key, value in body.items() if isinstance(value, str)), next(iter(body)))
    return name, {**body, name: f"{body[name]}\x00"}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_api_refuses_a_nul_byte_under_the_fields_name(name, client_for, world):
    """Postgres cannot store a NUL byte (and a lookup by a code holding one failed with a 500):
    every endpoint answers 400 under the field's name, and nothing is written."""
    endpoint = ENDPOINTS[name]
    client = client_for(world["users"][endpoint.role])
    poisoned, body = _poisoned(endpoint.body(world))
    before = snapshot(endpoint.table)
    response = _api_call(client, world, endpoint, body)
    assert response.status_code == 400, response.content
    assert CONTROL in str(response.json()[poisoned]), response.json()
    assert snapshot(endpoint.table) == before


CONTROL_API_CASES = [
    # The finding's examples: codes looked up in the database.
    Bad("certifications", "type", NUL, CONTROL),
    Bad("enrolments", "position", NUL, CONTROL),
    Bad("promotions", "to_tier", NUL, CONTROL),
    Bad("tiers", "required_competencies", ["DISPENSING", NUL], CONTROL),
    # Other C0 controls: an escape sequence, a vertical tab, a backspace, DEL.
    Bad("sites", "name", "Clinic\x1b[2J", CONTROL),
    Bad("technicians", "first_name", "Ha\x0bna", CONTROL),
    Bad("ce-credits", "title", "Law\x08 update", CONTROL),
    Bad("programs", "description", "Two\x7f afternoons", CONTROL),
    # Not a character at all: half of a UTF-16 pair, which JSON can still spell (\ud800).
    Bad("incentive-programs", "name", "CE\ud800 bonus", CONTROL),
    # Nested: an item of a competency's checklist, a practice test's domain score.
    Bad("competencies", "items.0.text", "Garbs\x00", CONTROL, key="items"),
    Bad("practice-tests", "domain_scores.medications", "7\x000", CONTROL, key="domain_scores"),
]


@pytest.mark.parametrize("case", CONTROL_API_CASES, ids=lambda c: f"{c.endpoint}-{c.field}")
def test_api_refuses_control_characters_in_codes_and_text(case, client_for, world):
    endpoint = ENDPOINTS[case.endpoint]
    client = client_for(world["users"][endpoint.role])
    before = snapshot(endpoint.table)
    response = _api_call(client, world, endpoint, with_value(endpoint.body(world), case.field, case.value))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert case.error_key in errors, errors
    assert case.message in str(errors[case.error_key]), errors
    assert snapshot(endpoint.table) == before


def test_api_patch_of_a_tier_with_a_nul_in_a_competency_code(client_for, world):
    """The finding as reported: ``PATCH /api/v1/tiers/<id>/`` with a NUL in a code."""
    client = client_for(world["users"]["hr"])
    before = snapshot("tiers.Tier")
    response = client.patch(
        f"{API}tiers/{world['tier']}/", {"required_competencies": ["a\u0000b"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "required_competencies" in response.json()
    assert snapshot("tiers.Tier") == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json; charset=utf-16", json.dumps({"required_competencies": ["a\u0000b"]}).encode("utf-16")),
        ("application/json; charset=utf-32", json.dumps({"required_competencies": ["a\u0000b"]}).encode("utf-32")),
        ("application/x-www-form-urlencoded; charset=utf-7", b"required_competencies=a%2BAAA-b"),  # UTF-7 NUL
    ],
    ids=["json-utf16", "json-utf32", "form-utf7"],
)
def test_api_a_control_character_in_another_charset_is_refused_too(content_type, body, client_for, world):
    """The guard reads a body in the charset it declares, as Django and DRF do: a NUL sent as
    UTF-16 or UTF-7 was a 500 on Postgres, and raw DEL or C1 characters were stored."""
    client = client_for(world["users"]["hr"])
    before = snapshot("tiers.Tier")

    response = client.generic("PATCH", f"{API}tiers/{world['tier']}/", body, content_type=content_type)

    assert response.status_code == 400
    assert "required_competencies" in response.json()
    assert snapshot("tiers.Tier") == before


def test_api_refuses_raw_del_and_c1_characters_in_json(client_for, world):
    """Unescaped DEL (U+007F) and C1 (U+0085) characters are valid JSON: they were stored."""
    client = client_for(world["users"]["hr"])
    body = '{"first_name": "A\u007fB\u0085C"}'.encode()

    response = client.generic("PATCH", f"{API}technicians/{world['tech']}/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["first_name"]
    assert Technician.objects.get(pk=world["tech"]).first_name == "Alice"


def test_api_refuses_a_control_character_in_a_key(client_for, world):
    client = client_for(world["users"]["hr"])
    body = {**ENDPOINTS["sites"].body(world), "na\x00me": "x"}
    response = client.post(f"{API}sites/", body, content_type="application/json")
    assert response.status_code == 400
    assert CONTROL in str(response.json())
    assert "\x00" not in response.content.decode()


def test_api_multi_line_text_keeps_its_tabs_and_line_breaks(client_for, world):
    """Tab, line feed and carriage return are how multi-line notes are typed: accepted."""
    client = client_for(world["users"]["manager"])
    note = "Line one\r\nLine two\n\tindented"
    response = _api_call(client, world, ENDPOINTS["promotions"], {**ENDPOINTS["promotions"].body(world), "note": note})
    assert response.status_code == 201, response.content
    assert response.json()["note"] == note


def test_api_form_encoded_and_multipart_bodies_are_checked_too(client_for, world):
    client = client_for(world["users"]["manager"])
    before = snapshot("certifications.Certification")
    body = {**ENDPOINTS["certifications"].body(world), "type": NUL}
    multipart = client.post(f"{API}certifications/", body)
    assert multipart.status_code == 400, multipart.content
    assert CONTROL in str(multipart.json()["type"])
    cert = world["unverified"]
    patched = client.patch(
        f"{API}certifications/{cert}/",
        encode_multipart(BOUNDARY, {"number": "CPHT\x00405"}),
        content_type=MULTIPART_CONTENT,
    )
    assert patched.status_code == 400, patched.content
    assert CONTROL in str(patched.json()["number"])
    form_encoded = client.patch(
        f"{API}certifications/{cert}/", "number=CPHT%00405", content_type="application/x-www-form-urlencoded"
    )
    assert form_encoded.status_code == 400, form_encoded.content
    assert CONTROL in str(form_encoded.json()["number"])
    assert snapshot("certifications.Certification") == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("rotations/?station=a%00b", "station"),
        ("training-assignments/?technician=1%00", "technician"),
        ("technicians/?site=A01%00", "site"),
        ("technicians/?site=A01%09", "site"),  # a tab: a query value is one line
    ],
)
def test_api_query_parameters_refuse_control_characters(query, field, client_for, world):
    response = client_for(world["users"]["hr"]).get(f"{API}{query}")
    assert response.status_code == 400, response.content
    assert CONTROL in str(response.json()[field]), response.json()


@pytest.mark.parametrize(
    ("query", "status"), [("site%00=A01", 200), ("colour=r%00ed", 200), ("page_size=1%00", 200), ("page=%1b", 404)]
)
def test_api_parameters_no_view_reads_are_ignored_as_before(query, status, client_for, world):
    """A parameter is checked when a view reads it: an unknown one is ignored, and paging (only
    ever read as a number) answers as for any other bad number (a page size is ignored, a page
    is not found), as each endpoint documents."""
    response = client_for(world["users"]["hr"]).get(f"{API}sites/?{query}")
    assert response.status_code == status, response.content


def test_api_a_control_character_in_the_path_is_not_found(client_for, world):
    response = client_for(world["users"]["hr"]).get(f"{API}tiers/1%00/")
    assert response.status_code == 404


def test_dashboard_site_filter_with_a_nul_byte(client_for, world):
    """``GET /dashboard/?site=a%00b`` (the site is looked up by its code) answered 500."""
    response = client_for(world["users"]["hr"]).get(f"{reverse('dashboard')}?site=a%00b")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "site" in page and CONTROL in page


def test_enrol_form_with_a_nul_byte(client_for, world):
    """The form ``POST /tracks/enrol/`` looked the position up with the NUL in it."""
    before = snapshot("tracks.Enrolment")
    response = client_for(world["users"]["manager"]).post(
        reverse("tracks:enrol"), {"technician": world["tech"], "position": NUL}
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "“position”" in page and CONTROL in page
    assert snapshot("tracks.Enrolment") == before


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_refuses_a_nul_byte_and_names_the_field(name, client_for, world):
    """Every form page answers 400 with a page that names the field, and writes nothing."""
    page = PAGES[name]
    client = client_for(world["users"][page.role])
    poisoned, data = _poisoned(page.data(world))
    before = snapshot(page.table)
    response = _post_page(client, world, page, data)
    assert response.status_code == 400
    shown = html.unescape(response.content.decode())
    named = f"{page.prefix}-{poisoned}" if page.prefix else poisoned
    assert f"“{named}”" in shown and CONTROL in shown
    assert snapshot(page.table) == before


def test_page_multi_line_text_keeps_its_line_breaks(client_for, world):
    page = PAGES["nomination"]
    client = client_for(world["users"][page.role])
    response = _post_page(client, world, page, {**page.data(world), "note": "Ready.\r\nCovers the lead role."})
    assert response.status_code == 302
    assert apps.get_model("tiers.Promotion").objects.filter(note="Ready.\r\nCovers the lead role.").exists()
