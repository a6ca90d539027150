"""Every way a file gets in (certification evidence, CE statements, attestation forms; pages
and API) checks its type by content and its size, and a refused file changes nothing.

Each path is tried three times: a program renamed ``card.pdf`` (refused: wrong type), a real
PDF over the size limit (refused: too large), and a real PDF under it (accepted), which
proves that the refusals came from the file and not from the rest of the form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from certifications.models import Attestation, CECredit, Certification
from tests.certifications.factories import CertificationFactory, UnverifiedCertificationFactory, cert_type
from tests.certifications.test_evidence import EXE, PDF

pytestmark = pytest.mark.django_db
LIMIT = 1024 * 1024  # 1 MB for these tests
WRONG_TYPE = "Upload a PDF, PNG or JPEG file; this file's content is none of those, whatever its name."
TOO_LARGE = "The file is 1.5 MB; the limit is 1 MB."


@pytest.fixture(autouse=True)
def _small_limit_and_tmp_media(settings, tmp_path):
    settings.EVIDENCE_MAX_BYTES = LIMIT
    settings.MEDIA_ROOT = str(tmp_path / "media")


def program() -> SimpleUploadedFile:
    return SimpleUploadedFile("card.pdf", EXE, content_type="application/pdf")


def big_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("card.pdf", PDF + b"0" * (LIMIT + LIMIT // 2 - len(PDF)), content_type="application/pdf")


def small_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf")


@dataclass
class UploadPath:
    """One way in: who sends what where, and how to read what it stored. ``prepare`` makes the
    record the upload belongs to (if any) once; the other callables take (technician, record)."""

    role: str
    url: Callable
    data: Callable
    stored: Callable  # (record) -> evidence names stored by this path
    prepare: Callable = lambda tech: None
    method: str = "post"
    api: bool = False


UAN = "0145-0000-25-001-H03-T"


def days_ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def unverified_bls(tech) -> Certification:
    return UnverifiedCertificationFactory(
        technician=tech, type=cert_type("BLS"), issued_on=timezone.localdate() - dt.timedelta(days=40)
    )


def cspt(tech) -> Certification:
    return CertificationFactory(
        technician=tech, type=cert_type("CSPT"), issued_on=timezone.localdate() - dt.timedelta(days=300)
    )


def certification_fields(cert: Certification) -> dict:
    return {
        "type": cert.type.pk,
        "number": cert.number,
        "issued_on": cert.issued_on.isoformat(),
        "expires_on": cert.expires_on.isoformat() if cert.expires_on else "",
    }


def evidence_of(queryset) -> list[str]:
    return [record.evidence.name for record in queryset if record.evidence]


PATHS = {
    "page: add a certification": UploadPath(
        "technician",
        lambda t, _: f"/technicians/{t.pk}/certifications/add/",
        lambda t, _: {"type": cert_type("BLS").pk, "issued_on": days_ago(30), "number": "BLS-1"},
        lambda _: evidence_of(Certification.objects.filter(type__code="BLS")),
    ),
    "page: replace a certification's evidence": UploadPath(
        "manager",
        lambda t, cert: f"/certifications/{cert.pk}/edit/",
        lambda t, cert: certification_fields(cert),
        lambda cert: evidence_of(Certification.objects.filter(pk=cert.pk)),
        prepare=unverified_bls,
    ),
    "page: add a CE credit": UploadPath(
        "technician",
        lambda t, _: f"/technicians/{t.pk}/ce-credits/add/",
        lambda t, _: {
            "completed_on": days_ago(20),
            "title": "Law update",
            "provider": "ACPE",
            "uan": UAN,
            "hours": "1",
        },
        lambda _: evidence_of(CECredit.objects.all()),
    ),
    "page: record an attestation": UploadPath(
        "manager",
        lambda t, cert: f"/certifications/{cert.pk}/attest/",
        lambda t, _: {"attested_on": days_ago(5), "supervisor_name": "Dr. Pat Lee, PharmD"},
        lambda _: evidence_of(Attestation.objects.all()),
        prepare=cspt,
    ),
    "api: add a certification": UploadPath(
        "technician",
        lambda t, _: "/api/v1/certifications/",
        lambda t, _: {"technician": t.pk, "type": "BLS", "issued_on": days_ago(30)},
        lambda _: evidence_of(Certification.objects.filter(type__code="BLS")),
        api=True,
    ),
    "api: replace a certification's evidence": UploadPath(
        "manager",
        lambda t, cert: f"/api/v1/certifications/{cert.pk}/",
        lambda t, _: {},
        lambda cert: evidence_of(Certification.objects.filter(pk=cert.pk)),
        prepare=unverified_bls,
        method="patch",
        api=True,
    ),
    "api: add a CE credit": UploadPath(
        "technician",
        lambda t, _: "/api/v1/ce-credits/",
        lambda t, _: {
            "technician": t.pk,
            "completed_on": days_ago(20),
            "title": "Law update",
            "provider": "ACPE",
            "uan": UAN,
            "hours": "1",
        },
        lambda _: evidence_of(CECredit.objects.all()),
        api=True,
    ),
    "api: record an attestation": UploadPath(
        "manager",
        lambda t, _: "/api/v1/attestations/",
        lambda t, cert: {"certification": cert.pk, "attested_on": days_ago(5), "supervisor_name": "Dr. Pat Lee"},
        lambda _: evidence_of(Attestation.objects.all()),
        prepare=cspt,
        api=True,
    ),
}


def send(client: Client, path: UploadPath, url: str, data: dict):
    if path.method == "patch":
        # The test client encodes multipart for POST only; PATCH gets the same body by hand.
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        return client.patch(url, encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT)
    return client.post(url, data)


def errors_of(response, api: bool) -> list[str]:
    if api:
        assert response.status_code == 400, response.content
        return response.json()["evidence"]
    assert response.status_code == 200, f"the form should be shown again, got {response.status_code}"
    return list(response.context["form"].errors.get("evidence", []))


@pytest.mark.parametrize("name", list(PATHS))
def test_every_upload_path_checks_type_and_size(name, users, client_for, tech_a):
    path = PATHS[name]
    client = client_for(users[path.role])
    record = path.prepare(tech_a)
    url = path.url(tech_a, record)

    for upload, message in ((program(), WRONG_TYPE), (big_pdf(), TOO_LARGE)):
        response = send(client, path, url, {**path.data(tech_a, record), "evidence": upload})
        assert errors_of(response, path.api) == [message]
        assert path.stored(record) == [], "a refused file must not be stored or recorded"

    response = send(client, path, url, {**path.data(tech_a, record), "evidence": small_pdf()})
    assert response.status_code in ((200, 201) if path.api else (302,)), response.content[:500]
    (stored,) = path.stored(record)
    assert stored.endswith(".pdf") and "card" not in stored  # a random name, never the person's
