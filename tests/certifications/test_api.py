"""The certification API: contract fields, scoping (404), permissions (403), validation (400)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certifications.models import CECredit, Certification, OrgPolicy, PracticeTest, PtcbExtension
from incentives.models import Incentive
from tests.certifications.factories import (
    CECreditFactory,
    CertificationFactory,
    IncentiveFactory,
    PracticeTestFactory,
    UnverifiedCertificationFactory,
    cert_type,
)
from tests.certifications.test_evidence import EXE, PNG
from tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/"
JSON = "application/json"
SCORES = {"medications": 82, "federal_requirements": 64, "patient_safety": 79, "order_entry": 75}


def test_certification_types_are_listed_with_their_rules(client_for, technician_user):
    response = client_for(technician_user).get(f"{API}certification-types/?code=CPHT")
    assert response.status_code == 200
    (cpht,) = response.json()["results"]
    assert {
        k: cpht[k] for k in ("code", "validity_months", "ce_hours_required", "min_law_hours", "max_pharmacist_hours")
    } == {
        "code": "CPHT",
        "validity_months": 24,
        "ce_hours_required": "20.00",
        "min_law_hours": "1.00",
        "max_pharmacist_hours": "5.00",
    }


def test_only_hr_adds_certification_types(client_for, manager_user, hr_user):
    body = {"code": "OH_REG", "name": "Ohio pharmacy technician registration", "category": "state", "state": "OH"}
    assert client_for(manager_user).post(f"{API}certification-types/", body).status_code == 403
    response = client_for(hr_user).post(f"{API}certification-types/", body)
    assert response.status_code == 201
    assert response.json()["code"] == "OH_REG"


def test_technician_reads_only_own_certifications(client_for, technician_user, tech_a, tech_b):
    mine = CertificationFactory(technician=tech_a, issued_on=dt.date(2024, 9, 1), number="111")
    other = CertificationFactory(technician=tech_b)
    client = client_for(technician_user)
    response = client.get(f"{API}certifications/")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    row = response.json()["results"][0]
    assert {k: row[k] for k in ("technician", "type", "number", "issued_on", "expires_on", "verified")} == {
        "technician": tech_a.pk,
        "type": "CPHT",
        "number": "111",
        "issued_on": "2024-09-01",
        "expires_on": "2026-09-01",
        "verified": True,
    }
    assert row["status"] in ("active", "expiring", "expired")
    assert client.get(f"{API}certifications/{other.pk}/").status_code == 404


def test_status_follows_the_expiry_date(client_for, hr_user, tech_a):
    today = timezone.localdate()
    CertificationFactory(
        technician=tech_a,
        type=cert_type("BLS"),
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=60),
    )
    CertificationFactory(
        technician=tech_a,
        type=cert_type("BLS"),
        issued_on=today - dt.timedelta(days=700),
        expires_on=today + dt.timedelta(days=61),
    )
    CertificationFactory(
        technician=tech_a, type=cert_type("BLS"), issued_on=today - dt.timedelta(days=800), expires_on=today
    )
    rows = client_for(hr_user).get(f"{API}certifications/?technician={tech_a.pk}").json()["results"]
    assert sorted((r["expires_on"], r["status"]) for r in rows) == [
        (today.isoformat(), "expired"),
        ((today + dt.timedelta(days=60)).isoformat(), "expiring"),
        ((today + dt.timedelta(days=61)).isoformat(), "active"),
    ]
    expiring = client_for(hr_user).get(f"{API}certifications/?status=expiring").json()
    assert expiring["count"] == 1


def test_technician_cannot_create_for_another_technician(client_for, technician_user, tech_b):
    body = {"technician": tech_b.pk, "type": "CPHT", "issued_on": "2025-01-10"}
    response = client_for(technician_user).post(f"{API}certifications/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["technician"]
    assert Certification.objects.count() == 0
    ce = {
        "technician": tech_b.pk,
        "completed_on": "2025-02-01",
        "title": "T",
        "provider": "P",
        "uan": "0145-0000-25-001-H03-T",
        "hours": 1,
    }
    assert client_for(technician_user).post(f"{API}ce-credits/", ce).status_code == 400
    assert CECredit.objects.count() == 0


def test_technician_self_reports_with_evidence_and_stays_unverified(client_for, technician_user, tech_a):
    client = client_for(technician_user)
    response = client.post(
        f"{API}certifications/",
        {"type": "BLS", "issued_on": "2025-01-20", "number": "AHA-77", "evidence": SimpleUploadedFile("card.pdf", PNG)},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["technician"], body["verified"], body["self_reported"], body["expires_on"]) == (
        tech_a.pk,
        False,
        True,
        "2027-01-20",
    )
    assert body["evidence_url"].endswith(f"/certifications/{body['id']}/evidence/")
    assert Certification.objects.get().evidence.name.endswith(".png")


def test_upload_of_the_wrong_type_is_400(client_for, technician_user):
    response = client_for(technician_user).post(
        f"{API}certifications/",
        {"type": "BLS", "issued_on": "2025-01-20", "evidence": SimpleUploadedFile("card.pdf", EXE)},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["evidence"]
    assert Certification.objects.count() == 0


def test_verification_scope_and_permissions(client_for, technician_user, manager_user, tech_a, tech_b):
    mine = UnverifiedCertificationFactory(technician=tech_a)
    elsewhere = UnverifiedCertificationFactory(technician=tech_b)
    assert client_for(technician_user).post(f"{API}certifications/{mine.pk}/verify/").status_code == 403
    assert client_for(manager_user).post(f"{API}certifications/{elsewhere.pk}/verify/").status_code == 404
    mine.refresh_from_db(), elsewhere.refresh_from_db()
    assert (mine.verified_at, elsewhere.verified_at) == (None, None)

    response = client_for(manager_user).post(f"{API}certifications/{mine.pk}/verify/")
    assert response.status_code == 200
    assert (response.json()["verified"], response.json()["verified_by"]) == (True, "manager")
    assert client_for(manager_user).post(f"{API}certifications/{mine.pk}/verify/").status_code == 400


def test_reject_needs_a_reason(client_for, manager_user, tech_a):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    assert client_for(manager_user).post(f"{API}certifications/{cert.pk}/reject/", {}).json() == {
        "reason": ["This field is required."]
    }
    response = client_for(manager_user).post(f"{API}certifications/{cert.pk}/reject/", {"reason": "Card unreadable"})
    assert response.json()["rejection_reason"] == "Card unreadable"


def test_technician_may_correct_only_unverified_records(client_for, technician_user, tech_a):
    unverified = UnverifiedCertificationFactory(technician=tech_a)
    verified = CertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=dt.date(2025, 1, 1))
    client = client_for(technician_user)
    assert (
        client.patch(f"{API}certifications/{unverified.pk}/", {"number": "999"}, content_type=JSON).status_code == 200
    )
    assert client.patch(f"{API}certifications/{verified.pk}/", {"number": "999"}, content_type=JSON).status_code == 403
    assert client.delete(f"{API}certifications/{verified.pk}/").status_code == 403
    verified.refresh_from_db()
    assert verified.number != "999"


def test_practice_tests(client_for, technician_user, tech_a):
    client = client_for(technician_user)
    response = client.post(
        f"{API}practice-tests/",
        {"taken_on": "2025-11-20", "source": "Medical Hero", "score": 78, "domain_scores": SCORES},
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    assert {k: response.json()[k] for k in ("technician", "taken_on", "source", "score", "domain_scores")} == {
        "technician": tech_a.pk,
        "taken_on": "2025-11-20",
        "source": "Medical Hero",
        "score": 78,
        "domain_scores": SCORES,
    }
    bad = client.post(
        f"{API}practice-tests/",
        {"taken_on": "2025-11-20", "source": "X", "score": 101, "domain_scores": {**SCORES, "order_entry": 120}},
        content_type=JSON,
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"score", "domain_scores"}
    assert PracticeTest.objects.count() == 1


def test_ce_credits_topic_and_audience_come_from_the_uan(client_for, technician_user, tech_a):
    response = client_for(technician_user).post(
        f"{API}ce-credits/",
        {
            "completed_on": "2025-10-02",
            "title": "Look-alike, sound-alike drugs",
            "provider": "RxLearn",
            "uan": "0145-0000-25-012-H05-P",
            "hours": "1.25",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("uan", "hours", "topic", "topic_name", "audience", "activity_type")} == {
        "uan": "0145-0000-25-012-H05-P",
        "hours": 1.25,
        "topic": "05",
        "topic_name": "Patient safety",
        "audience": "P",
        "activity_type": "H",
    }
    bad = client_for(technician_user).post(
        f"{API}ce-credits/",
        {"completed_on": "2025-10-02", "title": "X", "provider": "Y", "uan": "12-34", "hours": "1"},
    )
    assert bad.status_code == 400 and list(bad.json()) == ["uan"]


def test_evaluator_reads_no_colleagues_ce_and_cannot_create_it(client_for, evaluator_user, tech_a, tech_b):
    CECreditFactory(technician=tech_a)
    CECreditFactory(technician=tech_b)
    client = client_for(evaluator_user)
    assert client.get(f"{API}ce-credits/").json()["count"] == 0  # only their own, and they have none
    response = client.post(
        f"{API}ce-credits/",
        {
            "technician": tech_a.pk,
            "completed_on": "2025-10-02",
            "title": "X",
            "provider": "Y",
            "uan": "0145-0000-25-099-H05-T",
            "hours": "1",
        },
    )
    assert response.status_code == 403
    assert CECredit.objects.count() == 2


def test_extensions(client_for, technician_user, manager_user, site_a, tech_b):
    tech = TechnicianFactory(site=site_a, hire_date=timezone.localdate() - dt.timedelta(days=250))
    body = {
        "technician": tech.pk,
        "extended_to": (timezone.localdate() + dt.timedelta(days=120)).isoformat(),
        "reason": "Exam rescheduled",
    }
    assert client_for(manager_user).post(f"{API}ptcb-extensions/", {**body, "technician": tech_b.pk}).status_code == 400
    response = client_for(manager_user).post(f"{API}ptcb-extensions/", body)
    assert response.status_code == 201
    assert response.json()["granted_by"] == "manager"
    assert (
        client_for(technician_user)
        .post(f"{API}ptcb-extensions/", {**body, "technician": technician_user.technician_id})
        .status_code
        == 403
    )
    assert PtcbExtension.objects.count() == 1


def test_policy_endpoint(client_for, manager_user, hr_user):
    assert client_for(manager_user).get(f"{API}certification-policy/").json()["ptcb_window_months"] == 9
    assert (
        client_for(manager_user)
        .patch(f"{API}certification-policy/", {"ptcb_window_months": 6}, content_type=JSON)
        .status_code
        == 403
    )
    response = client_for(hr_user).patch(f"{API}certification-policy/", {"ptcb_window_months": 12}, content_type=JSON)
    assert (response.status_code, response.json()["ptcb_window_months"]) == (200, 12)
    assert (
        client_for(hr_user)
        .patch(f"{API}certification-policy/", {"ptcb_window_months": 40}, content_type=JSON)
        .status_code
        == 400
    )
    assert OrgPolicy.objects.get().ptcb_window_months == 12


def test_incentives(client_for, manager_user, technician_user, evaluator_user, tech_a, tech_b):
    mine = IncentiveFactory(technician=tech_a)
    other = IncentiveFactory(technician=tech_b)
    assert client_for(technician_user).get(f"{API}incentives/").json()["count"] == 1
    assert client_for(evaluator_user).get(f"{API}incentives/").json()["count"] == 0  # pay is not theirs to see
    assert client_for(technician_user).post(f"{API}incentives/{mine.pk}/award/", {}).status_code == 403
    assert client_for(manager_user).post(f"{API}incentives/{other.pk}/award/", {}).status_code == 404
    response = client_for(manager_user).post(f"{API}incentives/{mine.pk}/award/", {"note": "Paid with payroll"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["awarded_by"]) == ("awarded", "manager")
    assert Incentive.objects.get(pk=other.pk).status == "eligible"


def test_progress_endpoint_has_ptcb_certifications_and_ce_progress(client_for, manager_user, tech_a):
    today = timezone.localdate()
    issued = today - dt.timedelta(days=100)
    cert = CertificationFactory(technician=tech_a, issued_on=issued)
    CECreditFactory(technician=tech_a, uan="0145-0000-24-001-H03-T", completed_on=issued + dt.timedelta(days=1))
    PracticeTestFactory(technician=tech_a, taken_on=issued - dt.timedelta(days=30), domain_scores=SCORES)
    body = client_for(manager_user).get(f"{API}technicians/{tech_a.pk}/progress/").json()
    assert body["ptcb"]["status"] == "met"
    assert body["ptcb"]["deadline"] == "2024-10-15"  # hired 2024-01-15 + 9 months
    assert [(c["type"], c["status"], c["verified"]) for c in body["certifications"]] == [("CPHT", "active", True)]
    (ce,) = body["ce_progress"]
    assert (ce["type"], ce["ce_required"], ce["counted_hours"], ce["law_hours"], ce["more_hours"]) == (
        "CPHT",
        20,
        1,
        1,
        19,
    )
    due = cert.expires_on - dt.timedelta(days=30)
    assert ce["message"] == (
        f"19 h more CE, incl. 1 h of patient safety and 14 h technician-specific, by {due:%B} {due.day}, {due.year}."
    )
    assert body["practice_tests"]["weakest_domain"] == "federal_requirements"
    assert body["cpht_adv"]["certificates_needed"] == 4


@pytest.mark.parametrize("endpoint", ["certifications/", "ce-credits/", "practice-tests/", "incentives/"])
def test_api_lists_query_count_is_flat(client_for, hr_user, site_a, endpoint):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n, offset):
        for i in range(n):
            tech = TechnicianFactory(site=site_a)
            CertificationFactory(technician=tech)
            CECreditFactory(technician=tech, uan=f"0145-0000-25-{offset + i:03d}-H04-T")
            PracticeTestFactory(technician=tech)
            IncentiveFactory(technician=tech)

    client = client_for(hr_user)
    add(5, 0)
    client.get(f"{API}{endpoint}")
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"{API}{endpoint}").json()["count"] == 5
    add(45, 100)
    with CaptureQueriesContext(connection) as large:
        assert client.get(f"{API}{endpoint}").json()["count"] == 50
    assert len(large) == len(small)
