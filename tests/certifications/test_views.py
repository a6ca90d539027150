"""Pages: what each role sees and may do, forms, and flat query counts on the list pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certifications.models import CECredit, Certification, PracticeTest, PtcbExtension
from incentives.models import Incentive
from tests.certifications.factories import (
    CECreditFactory,
    CertificationFactory,
    IncentiveFactory,
    PracticeTestFactory,
    UnverifiedCertificationFactory,
    cert_type,
)
from tests.certifications.test_evidence import EXE, PDF
from tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db


def test_technician_sees_deadlines_first_in_plain_words(client_for, technician_user, tech_a):
    today = timezone.localdate()
    tech_a.hire_date = today - dt.timedelta(days=200)
    tech_a.save()
    response = client_for(technician_user).get(reverse("certifications:mine"))
    assert response.status_code == 200
    html = response.content.decode()
    deadline = tech_a.hire_date
    from careerladder.core.dates import add_months

    days = (add_months(deadline, 9) - today).days
    assert f"PTCB due in {days} days" in html
    assert html.index("Deadlines") < html.index("Certifications held") < html.index("PTCE practice tests")


def test_me_panel_links_to_the_certifications_page(client_for, technician_user):
    response = client_for(technician_user).get(reverse("me"))
    html = response.content.decode()
    assert "Certification deadlines" in html
    assert reverse("certifications:mine") in html


def test_other_technicians_page_is_404_for_a_technician(client_for, technician_user, tech_b):
    client = client_for(technician_user)
    assert client.get(reverse("certifications:technician", args=[tech_b.pk])).status_code == 404
    assert client.get(reverse("certifications:ce-credit-add", args=[tech_b.pk])).status_code == 404


def test_manager_sees_own_site_only(client_for, manager_user, tech_a, tech_b):
    client = client_for(manager_user)
    assert client.get(reverse("certifications:technician", args=[tech_a.pk])).status_code == 200
    assert client.get(reverse("certifications:technician", args=[tech_b.pk])).status_code == 404


def test_technician_logs_a_ce_credit_through_the_form(client_for, technician_user, tech_a):
    response = client_for(technician_user).post(
        reverse("certifications:ce-credit-add", args=[tech_a.pk]),
        {
            "title": "Pharmacy Law Update",
            "provider": "Ohio Pharmacists Foundation",
            "uan": "0129-0000-25-044-H03-T",
            "completed_on": "2025-11-03",
            "hours": "1.5",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("certifications:mine") + "#ce"
    credit = CECredit.objects.get()
    assert (credit.topic, credit.audience, credit.hours, credit.recorded_by) == (
        "03",
        "T",
        Decimal("1.50"),
        technician_user,
    )


def test_form_errors_stand_next_to_the_field(client_for, technician_user, tech_a):
    response = client_for(technician_user).post(
        reverse("certifications:ce-credit-add", args=[tech_a.pk]),
        {"title": "X", "provider": "Y", "uan": "0129-25-044-H03", "completed_on": "2025-11-03", "hours": "1"},
    )
    assert response.status_code == 200
    assert "is not an ACPE universal activity number" in response.content.decode()
    assert CECredit.objects.count() == 0


def test_technician_logs_a_practice_test(client_for, technician_user, tech_a):
    response = client_for(technician_user).post(
        reverse("certifications:practice-test-add", args=[tech_a.pk]),
        {
            "taken_on": "2025-11-20",
            "source": "Medical Hero",
            "score": "78",
            "domain_medications": "80",
            "domain_federal_requirements": "66",
            "domain_patient_safety": "79",
            "domain_order_entry": "77",
        },
    )
    assert response.status_code == 302
    test = PracticeTest.objects.get()
    assert test.domain_scores == {
        "medications": 80,
        "federal_requirements": 66,
        "patient_safety": 79,
        "order_entry": 77,
    }


def test_evaluator_neither_reads_nor_logs_for_a_colleague(client_for, evaluator_user, tech_a):
    client = client_for(evaluator_user)
    assert client.get(reverse("certifications:technician", args=[tech_a.pk])).status_code == 404
    response = client.post(
        reverse("certifications:practice-test-add", args=[tech_a.pk]), {"taken_on": "2025-11-20", "score": "70"}
    )
    assert response.status_code == 403
    assert PracticeTest.objects.count() == 0


def test_certification_upload_rejects_a_renamed_program(client_for, technician_user, tech_a):
    url = reverse("certifications:certification-add", args=[tech_a.pk])
    data = {"type": cert_type("BLS").pk, "issued_on": "2025-01-20", "number": "BLS-1"}
    response = client_for(technician_user).post(url, {**data, "evidence": SimpleUploadedFile("bls.pdf", EXE)})
    assert response.status_code == 200
    assert "this file&#x27;s content is none of those" in response.content.decode()
    assert Certification.objects.count() == 0
    response = client_for(technician_user).post(url, {**data, "evidence": SimpleUploadedFile("bls.pdf", PDF)})
    assert response.status_code == 302
    cert = Certification.objects.get()
    assert cert.self_reported and not cert.verified


def test_evidence_is_served_only_in_scope(client_for, technician_user, manager_user, hr_user, tech_b, tech_a):
    cert = UnverifiedCertificationFactory(
        technician=tech_a, evidence=SimpleUploadedFile("x.pdf", PDF, "application/pdf")
    )
    other = UnverifiedCertificationFactory(technician=tech_b, evidence=SimpleUploadedFile("y.pdf", PDF))
    response = client_for(technician_user).get(reverse("certifications:certification-evidence", args=[cert.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert (
        client_for(technician_user).get(reverse("certifications:certification-evidence", args=[other.pk])).status_code
        == 404
    )
    assert (
        client_for(manager_user).get(reverse("certifications:certification-evidence", args=[other.pk])).status_code
        == 404
    )
    assert client_for(hr_user).get(reverse("certifications:certification-evidence", args=[other.pk])).status_code == 200


def test_verification_queue_verify_and_return(client_for, manager_user, tech_a, tech_b):
    mine = UnverifiedCertificationFactory(technician=tech_a, type=cert_type("BLS"), issued_on=dt.date(2025, 2, 1))
    elsewhere = UnverifiedCertificationFactory(technician=tech_b, type=cert_type("BLS"), issued_on=dt.date(2025, 2, 1))
    client = client_for(manager_user)
    page = client.get(reverse("certifications:verification-queue"))
    assert list(page.context["page"]) == [mine]

    assert client.post(reverse("certifications:certification-verify", args=[elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert not elsewhere.verified

    response = client.post(reverse("certifications:certification-verify", args=[mine.pk]), {"next": "queue"})
    assert response.status_code == 302 and response["Location"] == reverse("certifications:verification-queue")
    mine.refresh_from_db()
    assert mine.verified_by == manager_user


def test_technician_cannot_verify_own_record(client_for, technician_user, tech_a):
    cert = UnverifiedCertificationFactory(technician=tech_a)
    assert (
        client_for(technician_user).post(reverse("certifications:certification-verify", args=[cert.pk])).status_code
        == 403
    )
    cert.refresh_from_db()
    assert cert.verified_at is None


def test_verified_record_is_locked_for_the_technician(client_for, technician_user, tech_a):
    cert = CertificationFactory(technician=tech_a)
    client = client_for(technician_user)
    assert client.get(reverse("certifications:certification-edit", args=[cert.pk])).status_code == 403
    assert client.post(reverse("certifications:certification-delete", args=[cert.pk])).status_code == 403
    assert Certification.objects.filter(pk=cert.pk).exists()


def test_manager_grants_an_extension(client_for, manager_user, site_a):
    tech = TechnicianFactory(site=site_a, hire_date=timezone.localdate() - dt.timedelta(days=300))
    response = client_for(manager_user).post(
        reverse("certifications:ptcb-extension-add", args=[tech.pk]),
        {"extended_to": (timezone.localdate() + dt.timedelta(days=90)).isoformat(), "reason": "Exam rescheduled"},
    )
    assert response.status_code == 302
    assert PtcbExtension.objects.get().granted_by == manager_user


def test_policy_page_hr_edits_managers_read(client_for, hr_user, manager_user):
    assert client_for(manager_user).get(reverse("certifications:policy")).status_code == 200
    assert client_for(manager_user).post(reverse("certifications:policy"), {"ptcb_window_months": 6}).status_code == 403
    response = client_for(hr_user).post(
        reverse("certifications:policy"), {"ptcb_window_months": 12, "practice_pass_mark": 75, "expiring_days": 60}
    )
    assert response.status_code == 302
    page = client_for(hr_user).get(reverse("certifications:policy"))
    assert "PTCB window (months): 9 → 12" in page.content.decode()


def test_incentive_award_page(client_for, manager_user, tech_a, tech_b):
    incentive = IncentiveFactory(technician=tech_a, eligible_on=dt.date(2025, 1, 10))
    other = IncentiveFactory(technician=tech_b)
    client = client_for(manager_user)
    assert client.get(reverse("incentives:incentive-award", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("incentives:incentive-award", args=[incentive.pk]), {"awarded_on": "2025-02-01", "amount": "1.00"}
    )
    assert response.status_code == 302
    incentive.refresh_from_db()
    assert incentive.status == Incentive.Status.AWARDED


def _make_rows(count: int, site):
    today = timezone.localdate()
    for index in range(count):
        tech = TechnicianFactory(site=site, hire_date=today - dt.timedelta(days=100 + index))
        UnverifiedCertificationFactory(technician=tech, type=cert_type("BLS"), issued_on=dt.date(2025, 2, 1))
        CertificationFactory(technician=tech, type=cert_type("BLS"), issued_on=today - dt.timedelta(days=700))
        PracticeTestFactory(technician=tech)
        IncentiveFactory(technician=tech)


@pytest.mark.parametrize(
    "url_name", ["certifications:overview", "certifications:verification-queue", "incentives:incentive-list"]
)
def test_list_pages_query_count_is_flat(client_for, manager_user, site_a, url_name, django_assert_max_num_queries):
    client = client_for(manager_user)
    url = reverse(url_name)
    _make_rows(5, site_a)
    client.get(url)  # warm caches (sessions, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _make_rows(45, site_a)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_technician_page_query_count_is_flat(client_for, technician_user, tech_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(technician_user)
    url = reverse("certifications:mine")

    def add(count, offset):
        for i in range(count):
            CECreditFactory(
                technician=tech_a, uan=f"0145-0000-24-{offset + i:03d}-H04-T", completed_on=dt.date(2024, 12, 1)
            )
            PracticeTestFactory(technician=tech_a, taken_on=dt.date(2025, 1, 1) + dt.timedelta(days=offset + i))
            IncentiveFactory(technician=tech_a)

    CertificationFactory(technician=tech_a, issued_on=dt.date(2024, 9, 1))
    add(5, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(45, 100)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
