"""Property-based API fuzzing with Schemathesis: every operation of the OpenAPI document that
``/api/schema/`` serves is called with generated requests, as hr and as a technician.

The bar, for every response:

- never a 5xx (``not_a_server_error``);
- the status code is one the operation documents (``status_code_conformance``), the body
  matches the documented schema (``response_schema_conformance``) and the content type is
  the documented one (``content_type_conformance``).

Requests come from both valid (positive) and invalid (negative) data, so that the declared
400 answers are exercised as much as the successes.

How it runs:

- In process: the generated requests go through Django's WSGI handler on the test's own
  database connection, so no server is started and the usual ``db`` rollback applies.
- A small realistic data set (two sites, technicians at every tier, certifications, CE
  credits, practice tests, sign-offs, evaluations, a pending promotion, training, rotations,
  enrolments, KPI snapshots…) is built once per module inside an outer transaction, which is
  rolled back when the module is done; each test runs in a savepoint on top of it.
- Generated ``{id}`` path parameters are mapped onto the data set's own ids three times in
  four, so that detail and action endpoints answer with real objects (in scope or not), not
  only 404.
- Bounded and reproducible for CI: ``FUZZ_EXAMPLES`` examples per operation and mode (10 by
  default), derandomised, no example database, one fixed seed. The test ids are the
  operations', so pytest-xdist can spread them over workers (each worker builds the data set
  once per module it runs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from certifications import services as certification_services
from certifications.models import CertificationType
from metrics import services as metric_services
from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tiers import services as tier_services
from tiers.models import Competency, TrackPosition
from training import services as training_services
from training.models import Program

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20250301,
        "suppress-health-check": ["all"],
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)

# The document /api/schema/ serves (test_schema_endpoint_serves_the_fuzzed_document checks it).
RAW_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

D = dt.date


@pytest.fixture(scope="module")
def app():
    """Django's WSGI handler, called in process. Django closes "old" connections at the start
    and end of every request, which would close the test's connection (and its transaction):
    like Django's own test client, the calls here go without that."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _build_world() -> dict:
    """Two sites, a technician login (Alice, TECH2 at A), hr, a manager and an evaluator of A,
    and at least one of every record the API lists, in and out of the technician's scope."""
    today = timezone.localdate()
    a = SiteFactory(
        code="FZA", name="Riverside Community Pharmacy", kind="retail", state="OH", compounding_category="2"
    )
    b = SiteFactory(code="FZB", name="Mercy General Hospital Pharmacy", kind="hospital", state="PA")
    alice = TechnicianFactory(
        site=a, first_name="Alice", last_name="Archer", employee_id="FZ-A1", hire_date=D(2023, 2, 1), tier="TECH2"
    )
    ben = TechnicianFactory(site=a, first_name="Ben", last_name="Brown", employee_id="FZ-A2", hire_date=D(2024, 6, 3))
    lead = TechnicianFactory(
        site=a, first_name="Lena", last_name="Lead", employee_id="FZ-A3", hire_date=D(2018, 4, 9), tier="LEAD"
    )
    bob = TechnicianFactory(
        site=b, first_name="Bob", last_name="Baker", employee_id="FZ-B1", hire_date=D(2022, 9, 12), tier="TECH3"
    )
    TechnicianFactory(
        site=b,
        first_name="Cleo",
        last_name="Gone",
        employee_id="FZ-B2",
        hire_date=D(2021, 1, 4),
        status="terminated",
        termination_date=D(2024, 12, 31),
        termination_type="voluntary",
        exit_reason="pay",
    )
    Technician.objects.filter(pk=alice.pk).update(mentor=lead)
    alice.refresh_from_db()

    technician_user = UserFactory(username="fuzz-technician", role=User.Role.TECHNICIAN, technician=alice)
    hr = UserFactory(username="fuzz-hr", role=User.Role.HR)
    manager = UserFactory(username="fuzz-manager", role=User.Role.MANAGER, sites=[a])
    evaluator = UserFactory(username="fuzz-evaluator", role=User.Role.EVALUATOR, technician=lead, sites=[a])

    competency = Competency.objects.filter(active=True, usp797_kind="").order_by("code").first()
    items = list(competency.items.filter(active=True, measure="").order_by("position", "id"))
    tier_services.signoff_record_many(
        technician=alice,
        evaluator=evaluator,
        entries=[tier_services.SignOffInput(item=item, result=None, measurement=None) for item in items],
        signed_on=D(2025, 1, 15),
        method="observation",
    )
    for month in (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)):
        tier_services.evaluation_create(
            technician=alice,
            evaluator=manager,
            month=month,
            scores={"accuracy": 4, "productivity": 4, "teamwork": 5, "compliance": 4, "communication": 3},
            comments="Steady month.",
        )
    tier_services.tct_log_record(
        technician=alice,
        audited_by=evaluator,
        checked_on=D(2025, 2, 3),
        verifications=120,
        errors=0,
        note="Morning fills.",
    )
    tier_services.promotion_nominate(technician=ben, nominated_by=manager, effective_date=today, note="Ready soon.")
    position = TrackPosition.objects.order_by("code").first()
    tier_services.enrolment_create(technician=alice, position=position, enrolled_by=manager, enrolled_on=D(2025, 1, 6))
    tier_services.leadership_hours_log(
        technician=alice,
        kind="shadowing",
        worked_on=D(2025, 2, 10),
        hours=Decimal("3.5"),
        activity="Shadowed the inventory count.",
        recorded_by=manager,
    )
    tier_services.mentoring_meeting_record(
        mentee=alice,
        recorded_by=manager,
        met_on=D(2025, 2, 12),
        minutes=30,
        topics="PTCE study plan",
        notes="Two practice tests a month.",
        next_steps="Book the exam.",
    )

    cpht = CertificationType.objects.get(code="CPHT")
    certification_services.certification_record(
        technician=alice, type=cpht, issued_on=D(2024, 9, 1), number="CPHT-1001", recorded_by=manager
    )
    cspt = CertificationType.objects.filter(requires_attestation=True).order_by("code").first()
    sterile = certification_services.certification_record(
        technician=alice, type=cspt, issued_on=D(2024, 10, 1), number="CSPT-77", recorded_by=manager
    )
    certification_services.attestation_record(
        certification=sterile,
        attested_on=D(2025, 1, 20),
        supervisor_name="Dr. Ruth Patel",
        supervisor_title="Pharmacist",
        recorded_by=manager,
    )
    certification_services.certification_record(
        technician=bob, type=cpht, issued_on=D(2023, 3, 1), number="CPHT-2002", recorded_by=hr
    )
    certification_services.certification_record(
        technician=ben, type=cpht, issued_on=D(2025, 1, 5), number="CPHT-3003", recorded_by=technician_user
    )
    certification_services.ptcb_extension_grant(
        technician=ben,
        extended_to=today + dt.timedelta(days=200),
        reason="Exam rescheduled after the site closed.",
        granted_by=manager,
    )
    certification_services.practice_test_record(
        technician=alice,
        taken_on=D(2025, 1, 10),
        source="Medical Hero",
        score=78,
        domain_scores={"medications": 70, "federal_requirements": 82, "patient_safety": 85, "order_entry": 76},
        recorded_by=technician_user,
    )
    certification_services.ce_credit_record(
        technician=alice,
        completed_on=D(2025, 1, 12),
        title="Pharmacy law update",
        provider="Power-Pak C.E.",
        uan="0145-0000-25-012-H03-T",
        hours=Decimal("1.5"),
        recorded_by=technician_user,
    )
    certification_services.ce_credit_record(
        technician=bob,
        completed_on=D(2025, 2, 2),
        title="Medication safety",
        provider="Pharmacy Times",
        uan="0290-0000-25-101-H05-T",
        hours=Decimal("2"),
        recorded_by=hr,
    )
    certification_services.incentives_evaluate(today=today)

    programs = list(Program.objects.filter(active=True).order_by("code")[:2])
    training_services.assignment_create(
        technician=alice, program=programs[0], due_on=today + dt.timedelta(days=30), assigned_by=manager
    )
    training_services.assignment_create(
        technician=bob, program=programs[1], due_on=today + dt.timedelta(days=10), assigned_by=hr
    )
    training_services.rotation_schedule(
        technician=alice, station="filling", start=D(2025, 3, 3), end=D(2025, 3, 7), scheduled_by=manager
    )
    training_services.rotation_schedule(
        technician=bob, station="intake", start=D(2025, 3, 3), end=D(2025, 3, 7), learning_week=True, scheduled_by=hr
    )
    for site_id in (None, a.pk, b.pk):
        metric_services.kpi_snapshots_compute(site_id=site_id, months=[D(2025, 1, 1), D(2025, 2, 1)], today=today)

    return {
        "tokens": {
            "hr": Token.objects.create(user=hr).key,
            "technician": Token.objects.create(user=technician_user).key,
        },
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data set, built once per module in a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield _build_world()
            transaction.set_rollback(True)


# The objects an ``{id}`` in a path names, by the path's first segment after /api/v1/.
ID_MODELS = {
    "attestations": "certifications.Attestation",
    "ce-credits": "certifications.CECredit",
    "certification-types": "certifications.CertificationType",
    "certifications": "certifications.Certification",
    "competencies": "tiers.Competency",
    "enrolments": "tiers.Enrolment",
    "evaluations": "tiers.Evaluation",
    "incentive-programs": "certifications.IncentiveProgram",
    "incentives": "certifications.Incentive",
    "leadership-hours": "tiers.LeadershipHourLog",
    "mentoring-meetings": "tiers.MentoringMeeting",
    "practice-tests": "certifications.PracticeTest",
    "programs": "training.Program",
    "promotions": "tiers.Promotion",
    "ptcb-extensions": "certifications.PtcbExtension",
    "rotations": "training.Rotation",
    "signoffs": "tiers.SignOff",
    "sites": "technicians.Site",
    "tct-logs": "tiers.TctValidationLog",
    "technicians": "technicians.Technician",
    "tiers": "tiers.Tier",
    "tracks": "tiers.Track",
    "training-assignments": "training.TrainingAssignment",
    "users": "technicians.User",
}


def _real_ids(path: str) -> list[int]:
    label = ID_MODELS.get(path.removeprefix("/api/v1/").split("/", 1)[0])
    if label is None:
        return []
    return list(apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True))


def _aim_at_real_objects(case) -> None:
    value = (case.path_parameters or {}).get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
        ids = _real_ids(case.operation.path)
        if ids:
            case.path_parameters["id"] = ids[value % len(ids)]


def _fuzz(case, app, token):
    _aim_at_real_objects(case)
    response = case.call(app=app, headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
def test_api_as_hr(case, db, world, app):
    """Hr sees and may change everything: no 5xx, every answer as documented."""
    _fuzz(case, app, world["tokens"]["hr"])


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
def test_api_as_technician(case, db, world, app):
    """A technician sees own records only and is refused most writes: still no 5xx, and
    every refusal (403, 404, 400) is a documented answer."""
    _fuzz(case, app, world["tokens"]["technician"])


def test_schema_endpoint_serves_the_fuzzed_document(client, hr_user):
    """What is fuzzed here is exactly the document /api/schema/ serves to a logged-in caller,
    error answers included."""
    client.force_login(hr_user)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    assert served == json.loads(OpenApiJsonRenderer().render(RAW_SCHEMA))
    token = served["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert set(token) == {"200", "400", "429"}
    progress = served["paths"]["/api/v1/technicians/{id}/progress/"]["get"]["responses"]
    assert set(progress) == {"200", "401", "403", "404"}
    assert progress["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}
