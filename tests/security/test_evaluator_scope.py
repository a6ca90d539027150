"""An evaluator's scope (PRODUCT.md section 1; technicians/selectors.py ``EVALUATOR_READS``).

Eve Evans is a Lead technician with an evaluator login at site A. Of her colleagues at site A
she reads names, tiers, competencies, checklist sign-offs and tech-check-tech logs; their
evaluations, separations and exit interviews, certificates and their evidence, practice tests,
promotions and incentives are not found (404) and absent from every list, page and API answer.
Her own records, as a technician, stay hers to read.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from certifications.models import Certification, CertificationType, PracticeTest
from competencies import services as competencies_services
from competencies.models import ChecklistItem
from incentives.models import Incentive, IncentiveProgram
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tiers import services as tier_services
from tiers.models import RUBRIC

pytestmark = pytest.mark.django_db

D = dt.date
EVALUATION_COMMENT = "Rushes the final check on busy Mondays."
EXIT_NOTES = "Left for a hospital night shift; would come back for days."
COLLEAGUE_EVIDENCE = b"%PDF-1.4\n% Alice Archer CPhT\n%%EOF\n"
OWN_EVIDENCE = b"%PDF-1.4\n% Eve Evans CPhT\n%%EOF\n"
SEPARATION_FIELDS = {"termination_date", "termination_type", "exit_reason", "exit_notes", "would_rehire"}
PROFILE_FIELDS = {
    "id",
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "site",
    "hire_date",
    "status",
    "tier",
    "mentor",
    # The USP <797> category of the technician's own work decides their re-assessment dates.
    "compounding_category",
}


def _certification(technician, *, number: str, evidence: bytes) -> Certification:
    cert = Certification.objects.create(
        technician=technician,
        type=CertificationType.objects.get(code="CPHT"),
        number=number,
        issued_on=D(2024, 9, 1),
        expires_on=D(2026, 9, 1),
        self_reported=True,
    )
    cert.evidence.save(f"evidence-{number}.pdf", ContentFile(evidence), save=True)
    return cert


def _practice_test(technician, *, score: int) -> PracticeTest:
    return PracticeTest.objects.create(
        technician=technician,
        taken_on=D(2025, 3, 1),
        source="Medical Hero",
        score=score,
        domain_scores={"medications": 70, "federal_requirements": 65, "patient_safety": 76, "order_entry": 74},
    )


def _incentive(technician, *, key: str) -> Incentive:
    return Incentive.objects.create(
        technician=technician,
        program=IncentiveProgram.objects.get(code="CPHT_RAISE"),
        trigger_key=key,
        eligible_on=D(2025, 1, 10),
    )


@pytest.fixture
def scene(settings, tmp_path, site_a, tech_a, evaluator_user, manager_user, hr_user):
    """Alice Archer (TECH1) and Carl Cole (separated) are Eve's colleagues at site A; each kind
    of record exists once for Alice and, where a Lead can have it, once for Eve herself."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    lead = evaluator_user.technician
    departed = TechnicianFactory(site=site_a, first_name="Carl", last_name="Cole", employee_id="A-2")
    Technician.objects.filter(pk=departed.pk).update(
        status=Technician.Status.TERMINATED,
        termination_date=D(2025, 4, 30),
        termination_type=Technician.TerminationType.VOLUNTARY,
        exit_reason=Technician.ExitReason.SCHEDULE,
        exit_notes=EXIT_NOTES,
        would_rehire=True,
    )
    item = ChecklistItem.objects.filter(competency__code="DISPENSING", measure="", active=True).first()
    scores = dict.fromkeys(RUBRIC, 4)
    return {
        "evaluator": evaluator_user,
        "lead": lead,
        "colleague": tech_a,
        "departed": departed,
        "signoff": competencies_services.signoff_record_many(
            technician=tech_a,
            evaluator=evaluator_user,
            entries=[competencies_services.SignOffInput(item=item, result="pass")],
            signed_on=D(2025, 5, 2),
            method="observation",
        )[0],
        "tct_log": competencies_services.tct_log_record(
            technician=tech_a, audited_by=evaluator_user, checked_on=D(2025, 5, 2), verifications=120, errors=0
        ),
        "evaluation": tier_services.evaluation_create(
            technician=tech_a, evaluator=manager_user, month=D(2025, 5, 1), scores=scores, comments=EVALUATION_COMMENT
        ),
        "own_evaluation": tier_services.evaluation_create(
            technician=lead, evaluator=manager_user, month=D(2025, 5, 1), scores=dict.fromkeys(RUBRIC, 5)
        ),
        "promotion": tier_services.promotion_nominate(
            technician=tech_a, nominated_by=hr_user, effective_date=D(2025, 6, 1)
        ),
        "certification": _certification(tech_a, number="CPHT-ALICE", evidence=COLLEAGUE_EVIDENCE),
        "own_certification": _certification(lead, number="CPHT-EVE", evidence=OWN_EVIDENCE),
        "practice_test": _practice_test(tech_a, score=72),
        "own_practice_test": _practice_test(lead, score=88),
        "incentive": _incentive(tech_a, key="manual:alice"),
        "own_incentive": _incentive(lead, key="manual:eve"),
    }


@pytest.fixture
def eve(client, scene):
    client.force_login(scene["evaluator"])
    return client


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return sorted(row["id"] for row in response.json()["results"])


def test_a_colleagues_evaluations_are_not_found_and_her_own_are(eve, scene):
    """Given Alice's May evaluation (with its comment) and Eve's own, when Eve asks for them,
    then Alice's is a 404 everywhere and Eve's own is listed and readable."""
    colleague, evaluation = scene["colleague"], scene["evaluation"]

    assert eve.get(f"/api/v1/evaluations/{evaluation.pk}/").status_code == 404
    assert _ids(eve.get("/api/v1/evaluations/")) == [scene["own_evaluation"].pk]
    assert eve.get(f"/technicians/{colleague.pk}/evaluations/").status_code == 404
    page = eve.get(f"/technicians/{colleague.pk}/").content.decode()
    assert EVALUATION_COMMENT not in page
    assert "May 2025: 4.00 / 5" not in page
    assert "Mentor and evaluations" not in page

    own = eve.get(f"/api/v1/evaluations/{scene['own_evaluation'].pk}/")
    assert own.status_code == 200
    assert own.json()["overall"] == "5.00"
    assert eve.get(f"/technicians/{scene['lead'].pk}/evaluations/").status_code == 200


def test_a_colleagues_separation_and_exit_interview_are_not_shown(eve, scene, manager_user):
    """Given Carl's voluntary separation with exit notes and would-rehire, when Eve reads his
    record, then she sees his name and status but none of the separation fields (which his
    manager still reads)."""
    departed = scene["departed"]

    detail = eve.get(f"/api/v1/technicians/{departed.pk}/")
    assert detail.status_code == 200
    assert set(detail.json()) == PROFILE_FIELDS
    assert detail.json()["status"] == "terminated"
    listed = eve.get("/api/v1/technicians/?status=terminated")
    assert listed.status_code == 200
    assert [(row["last_name"], set(row)) for row in listed.json()["results"]] == [("Cole", PROFILE_FIELDS)]
    page = eve.get(f"/technicians/{departed.pk}/").content.decode()
    assert "Carl Cole" in page
    assert "Separated" not in page
    assert "Schedule / hours" not in page
    assert "Apr 30, 2025" not in page
    assert EXIT_NOTES not in page

    # The site's manager still reads every field.
    manager = Client()
    manager.force_login(manager_user)
    body = manager.get(f"/api/v1/technicians/{departed.pk}/").json()
    assert set(body) == PROFILE_FIELDS | SEPARATION_FIELDS
    assert (body["termination_date"], body["exit_reason"], body["exit_notes"], body["would_rehire"]) == (
        "2025-04-30",
        "schedule",
        EXIT_NOTES,
        True,
    )
    assert "Separated" in manager.get(f"/technicians/{departed.pk}/").content.decode()


def test_a_colleagues_practice_tests_are_not_found_and_her_own_are(eve, scene):
    colleague, test = scene["colleague"], scene["practice_test"]

    assert eve.get(f"/api/v1/practice-tests/{test.pk}/").status_code == 404
    assert _ids(eve.get("/api/v1/practice-tests/")) == [scene["own_practice_test"].pk]
    assert eve.get(f"/api/v1/practice-tests/?technician={colleague.pk}").json()["results"] == []
    assert eve.get(f"/technicians/{colleague.pk}/certifications/").status_code == 404

    own = eve.get(f"/api/v1/practice-tests/{scene['own_practice_test'].pk}/")
    assert own.status_code == 200
    assert own.json()["score"] == 88
    assert "88%" in eve.get("/certifications/me/").content.decode()


def test_a_colleagues_certificate_and_its_evidence_are_not_found_and_her_own_are(eve, scene):
    cert, own = scene["certification"], scene["own_certification"]

    assert eve.get(f"/certifications/{cert.pk}/evidence/").status_code == 404
    assert eve.get(f"/certifications/{cert.pk}/").status_code == 404
    assert eve.get(f"/api/v1/certifications/{cert.pk}/").status_code == 404
    assert _ids(eve.get("/api/v1/certifications/")) == [own.pk]

    evidence = eve.get(f"/certifications/{own.pk}/evidence/")
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content) == OWN_EVIDENCE
    assert eve.get(f"/api/v1/certifications/{own.pk}/").json()["number"] == "CPHT-EVE"


def test_a_colleagues_promotion_request_is_not_found(eve, scene):
    """Given a pending request to promote Alice to TECH2, when Eve looks, then it is not there:
    not by id, not in the list, not on Alice's page."""
    promotion = scene["promotion"]

    assert eve.get(f"/api/v1/promotions/{promotion.pk}/").status_code == 404
    assert eve.get("/api/v1/promotions/").json()["results"] == []
    assert eve.get(f"/promotions/{promotion.pk}/").status_code == 404
    page = eve.get(f"/technicians/{scene['colleague'].pk}/").content.decode()
    assert "is pending" not in page
    assert f"/promotions/{promotion.pk}/" not in page


def test_a_colleagues_incentives_are_not_found_and_her_own_are(eve, scene):
    incentive, own = scene["incentive"], scene["own_incentive"]

    assert eve.get(f"/api/v1/incentives/{incentive.pk}/").status_code == 404
    assert _ids(eve.get("/api/v1/incentives/")) == [own.pk]
    assert eve.get(f"/api/v1/incentives/{own.pk}/").json()["program"] == "CPHT_RAISE"
    assert eve.get(f"/technicians/{scene['colleague'].pk}/certifications/").status_code == 404


def test_a_colleagues_training_is_not_found_and_the_matrix_shows_competencies_only(eve, scene):
    colleague = scene["colleague"]

    assert eve.get(f"/training/technicians/{colleague.pk}/").status_code == 404
    matrix = eve.get("/api/v1/training-matrix/")
    assert matrix.status_code == 200
    assert {column["kind"] for column in matrix.json()["columns"]} == {"competency"}
    assert eve.get(f"/training/technicians/{scene['lead'].pk}/").status_code == 200


def test_a_colleagues_tier_competencies_sign_offs_and_logs_are_visible(eve, scene):
    """Given Alice's dispensing sign-off and a validation day Eve recorded, when Eve reads
    Alice's record, then her tier, her competencies, the sign-off and the log are all there (in
    place of the career map, which Eve still gets on her own record)."""
    colleague, signoff, tct_log = scene["colleague"], scene["signoff"], scene["tct_log"]

    assert eve.get(f"/api/v1/technicians/{colleague.pk}/").json()["tier"] == "TECH1"
    assert _ids(eve.get(f"/api/v1/signoffs/?technician={colleague.pk}")) == [signoff.pk]
    assert eve.get(f"/api/v1/signoffs/{signoff.pk}/").json()["result"] == "pass"
    assert _ids(eve.get("/api/v1/tct-logs/")) == [tct_log.pk]
    assert eve.get(f"/technicians/{colleague.pk}/signoffs/").status_code == 200
    assert eve.get(f"/technicians/{colleague.pk}/logs/").status_code == 200
    page = eve.get(f"/technicians/{colleague.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="tier-and-competencies"' in html
    assert '<strong data-testid="current-tier">Pharmacy Technician I</strong>' in html
    assert "Dispensing and filling accuracy" in html
    assert f'href="/technicians/{colleague.pk}/signoffs/"' in html
    assert "Mentor and evaluations" not in html

    # Her own record keeps the whole career map, her evaluations with it.
    own = eve.get(f"/technicians/{scene['lead'].pk}/").content.decode()
    assert "Mentor and evaluations" in own
    assert "<strong>May 2025</strong> evaluation: overall 5.00 / 5" in own
    assert 'data-testid="tier-and-competencies"' not in own


def test_a_colleagues_progress_is_not_found_and_her_own_is(eve, scene):
    """The progress answer holds Alice's evaluation average, certificates, CE and training:
    a 404 for Eve, who still reads her own."""
    colleague = scene["colleague"]

    assert eve.get(f"/api/v1/technicians/{colleague.pk}/progress/").status_code == 404
    own = eve.get(f"/api/v1/technicians/{scene['lead'].pk}/progress/")
    assert (own.status_code, own.json()["tier"]) == (200, "LEAD")
