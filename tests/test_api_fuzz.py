"""Property-based API fuzzing with Schemathesis: every operation of the OpenAPI document that
``/api/schema/`` serves is called with generated requests, as hr, as a manager (of site A) and
as a technician, in all of Schemathesis' phases: examples, coverage, fuzzing and stateful.

The bar, for every response:

- never a 5xx (``not_a_server_error``);
- the status code is one the operation documents (``status_code_conformance``), the body
  matches the documented schema (``response_schema_conformance``) and the content type is
  the documented one (``content_type_conformance``).

What runs, per role:

- ``test_api_as_<role>[<operation>]``, one test per operation: the schema's examples; the
  coverage phase's deterministic cases (boundary values, each parameter and field missing,
  of a wrong type, out of range or off its pattern, unexpected properties, undeclared methods,
  malformed and unsupported content types); then ``FUZZ_EXAMPLES`` (10) generated requests
  from valid and invalid data, so that the declared 400 answers are exercised as much as the
  successes.
- ``test_api_stateful[<role>]``: ``FUZZ_STATEFUL_EXAMPLES`` (20) scenarios of up to
  ``FUZZ_STATEFUL_STEPS`` (8) calls each, following the links Schemathesis infers between
  operations (a list or a create answers with ids; the detail, update, delete and action
  operations on those ids follow), so that calls meet the state the scenario's earlier calls
  left behind.

Bounded and reproducible for CI:

- The coverage phase is bounded (``filter_case`` below; ``FUZZ_COVERAGE_VARIANTS=0`` lifts
  it): request bodies go as JSON only (the fuzzing and stateful phases still send form and
  multipart bodies), and of each kind of case on each parameter or field only the first
  ``FUZZ_COVERAGE_VARIANTS`` (1) is sent, e.g. one wrong type per field rather than five. The
  request-shape probes all stay. Unbounded, the phase sends about 13,000 requests per role
  and the module takes over five minutes; bounded, about 3,100 (some 13,500 requests in all,
  every phase and role), and the module runs in about a minute and a half on two idle cores
  on Postgres (some three minutes of CPU; longer on a machine busy with other work).
- Derandomised, no example database, one fixed seed; the stateful runs do not shrink.

How it runs:

- In process: the generated requests go through Django's WSGI handler on the test's own
  database connection, so no server is started and the usual ``db`` rollback applies.
- A small realistic data set (two sites, technicians at every tier, certifications, CE
  credits, practice tests, sign-offs, evaluations, a pending promotion, training, rotations,
  enrolments, KPI snapshots…) is built once per module inside an outer transaction, which is
  rolled back when the module is done; each test runs in a savepoint on top of it, and each
  stateful scenario in one of its own, rolled back at its end (so a failing scenario replays
  against the same data).
- Generated ``{id}`` path parameters are mapped onto the data set's own ids three times in
  four, so that detail and action endpoints answer with real objects (in scope or not), not
  only 404; a stateful scenario's first call is aimed the same way, and a list it starts
  with is asked for unfiltered, so that its answer has ids for the next calls.
- The test ids are the operations' (and the roles'), so pytest-xdist can spread them over
  workers (each worker builds the data set once per module it runs).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.apps import apps
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES, CoverageScenario, coverage_scenario

from certifications import services as certification_services
from certifications.models import CertificationType
from competencies import services as competencies_services
from competencies.models import Competency
from incentives import services as incentives_services
from metrics import services as metric_services
from technicians.models import Technician, User
from tests.factories import SiteFactory, TechnicianFactory, UserFactory
from tiers import services as tier_services
from tracks import services as tracks_services
from tracks.models import TrackPosition
from training import services as training_services
from training.models import Program

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
COVERAGE_VARIANTS = int(os.environ.get("FUZZ_COVERAGE_VARIANTS", "1"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "20"))
STATEFUL_STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "8"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20250301,
        "suppress-health-check": ["all"],
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
        },
    }
)

# The document /api/schema/ serves (test_schema_endpoint_serves_the_fuzzed_document checks it),
# as JSON: the generator's own dict holds Decimal bounds, which the coverage phase cannot use.
DOCUMENT = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
# Stateful inference writes the links it finds into the document it is given: hence a copy.
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=CONFIG)


# The coverage phase's cases, kept per (operation, scenario, parameter, schema location): at
# most COVERAGE_VARIANTS of each, e.g. one wrong type per field rather than five.
_coverage_kept: dict[tuple, list[str]] = {}


@schema.hook
def filter_case(context, case):
    """Bound the coverage phase (FUZZ_COVERAGE_VARIANTS=0 lifts the bound): its request bodies
    go as JSON only (the fuzzing and stateful phases still send form and multipart bodies), and
    of each kind of case on each parameter or field only the first COVERAGE_VARIANTS. The
    request-shape probes (unexpected methods, content types) all stay. Coverage cases are
    generated deterministically, so every role's test keeps the same ones."""
    scenario = coverage_scenario(case)
    if scenario is None or scenario in REQUEST_SHAPE_PROBES or not COVERAGE_VARIANTS:
        return True
    if case.media_type not in (None, "application/json"):
        return False
    data = case._meta.phase.data
    description = data.description if scenario == CoverageScenario.VALID_OBJECT else ""
    key = (case.operation.label, scenario, data.parameter_location, data.parameter, data.location, description)
    signature = repr((case.path_parameters, case.query, case.headers, case.body))
    kept = _coverage_kept.setdefault(key, [])
    if signature in kept:
        return True
    if len(kept) < COVERAGE_VARIANTS:
        kept.append(signature)
        return True
    return False


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
    competencies_services.signoff_record_many(
        technician=alice,
        evaluator=evaluator,
        entries=[competencies_services.SignOffInput(item=item, result=None, measurement=None) for item in items],
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
    competencies_services.tct_log_record(
        technician=alice,
        audited_by=evaluator,
        checked_on=D(2025, 2, 3),
        verifications=120,
        errors=0,
        note="Morning fills.",
    )
    tier_services.promotion_nominate(technician=ben, nominated_by=manager, effective_date=today, note="Ready soon.")
    position = TrackPosition.objects.order_by("code").first()
    tracks_services.enrolment_create(
        technician=alice, position=position, enrolled_by=manager, enrolled_on=D(2025, 1, 6)
    )
    tracks_services.leadership_hours_log(
        technician=alice,
        kind="shadowing",
        worked_on=D(2025, 2, 10),
        hours=Decimal("3.5"),
        activity="Shadowed the inventory count.",
        recorded_by=manager,
    )
    tracks_services.mentoring_meeting_record(
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
        supervisor_qualification="Pharmacist, USP <797> designated person",
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
    incentives_services.incentives_evaluate(today=today)

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
            "manager": Token.objects.create(user=manager).key,
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
    "competencies": "competencies.Competency",
    "enrolments": "tracks.Enrolment",
    "evaluations": "tiers.Evaluation",
    "incentive-programs": "incentives.IncentiveProgram",
    "incentives": "incentives.Incentive",
    "leadership-hours": "tracks.LeadershipHourLog",
    "mentoring-meetings": "tracks.MentoringMeeting",
    "practice-tests": "certifications.PracticeTest",
    "programs": "training.Program",
    "promotions": "tiers.Promotion",
    "ptcb-extensions": "certifications.PtcbExtension",
    "rotations": "training.Rotation",
    "signoffs": "competencies.SignOff",
    "sites": "technicians.Site",
    "tct-logs": "competencies.TctValidationLog",
    "technicians": "technicians.Technician",
    "tiers": "tiers.Tier",
    "tracks": "tracks.Track",
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
    if isinstance(value, str) and value.isascii() and value.isdigit():
        # The coverage phase sends its path parameters already serialised ("0").
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
        ids = _real_ids(case.operation.path)
        if ids:
            case.path_parameters["id"] = ids[value % len(ids)]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def _fuzz(case, app, token):
    _aim_at_real_objects(case)
    response = case.call(app=app, headers=_auth(token))
    case.validate_response(response, checks=CHECKS)


FUZZ_SETTINGS = hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_hr(case, db, world, app):
    """Hr sees and may change everything: no 5xx, every answer as documented."""
    _fuzz(case, app, world["tokens"]["hr"])


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_manager(case, db, world, app):
    """A manager of site A works on site A's technicians and records only: what is out of
    scope is not found or refused, still no 5xx and every answer as documented."""
    _fuzz(case, app, world["tokens"]["manager"])


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_technician(case, db, world, app):
    """A technician sees own records only and is refused most writes: still no 5xx, and
    every refusal (403, 404, 400) is a documented answer."""
    _fuzz(case, app, world["tokens"]["technician"])


# Stateful: scenarios of up to STATEFUL_STEPS calls that follow the links Schemathesis infers
# between operations (a list or a create answers with ids; the detail, update, delete and
# action operations on that id follow). Built once, shared by the roles.
StateMachine = schema.as_state_machine()

STATEFUL_SETTINGS = hypothesis.settings(
    max_examples=STATEFUL_EXAMPLES,
    stateful_step_count=STATEFUL_STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _run_stateful(app, token):
    class Scenario(StateMachine):
        def setup(self):
            # Every scenario starts from the data set as built, in a savepoint rolled back at
            # its end: a scenario that deleted the caller's token, or changed the data a later
            # one reads, leaves nothing behind, and Hypothesis can replay a failing scenario
            # against the same state.
            cache.clear()
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)
            cache.clear()

        def step(self, input):
            # A scenario's first call has no earlier answer to take an id from: aim it at the
            # data set like the other tests do, and ask a list for its first page unfiltered
            # (generated filters mostly answer 400, which no link follows). Later calls use the
            # ids the links extract from earlier answers.
            if input.transition is None:
                _aim_at_real_objects(input.case)
                if input.case.method == "GET" and "{" not in input.case.path:
                    input.case.query = None
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"app": app, "headers": _auth(token)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder)

    Scenario.run(settings=STATEFUL_SETTINGS)


@pytest.mark.parametrize("role", ["hr", "manager", "technician"])
def test_api_stateful(role, db, world, app):
    """Sequences of calls on the objects earlier answers named, as each role: no 5xx and
    every answer as documented, whatever state the earlier calls of the scenario left behind."""
    _run_stateful(app, world["tokens"][role])


def test_schema_endpoint_serves_the_fuzzed_document(client, hr_user):
    """What is fuzzed here is exactly the document /api/schema/ serves to a logged-in caller,
    error answers included."""
    client.force_login(hr_user)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    assert served == DOCUMENT
    token = served["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert set(token) == {"200", "400", "415", "429"}
    progress = served["paths"]["/api/v1/technicians/{id}/progress/"]["get"]["responses"]
    assert set(progress) == {"200", "401", "403", "404"}
    assert progress["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}
