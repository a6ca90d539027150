"""Every way a file gets in (certification evidence, CE statements, attestation forms; pages
and API) checks its type by content and its size, and a refused file changes nothing.

Each path is tried four times: a program renamed ``card.pdf`` (refused: wrong type), a real
PDF over the size limit (refused: too large), a web page behind a ``%PDF-`` header (refused:
it does not open as a PDF), and a real PDF under the limit (accepted), which proves that the
refusals came from the file and not from the rest of the form. Then the content checks one by
one: a PDF must open and have a page, an image must pass its checksums and decode."""

from __future__ import annotations

import datetime as dt
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from certifications.evidence import check_evidence
from certifications.models import Attestation, CECredit, Certification
from tests.certifications.factories import CertificationFactory, UnverifiedCertificationFactory, cert_type
from tests.certifications.test_evidence import EXE, JPEG, PDF, PNG

pytestmark = pytest.mark.django_db
LIMIT = 1024 * 1024  # 1 MB for these tests
WRONG_TYPE = "Upload a PDF, PNG or JPEG file; this file's content is none of those, whatever its name."
TOO_LARGE = "The file is 1.5 MB; the limit is 1 MB."
DAMAGED_PDF = (
    "This file starts like a PDF but does not open as one: it is damaged, or something else renamed. "
    "Upload a PDF, PNG or JPEG file."
)
# The finding: the first bytes of a PDF, then a page that would run script if it were ever opened.
PDF_HEADED_PAGE = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"


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
        lambda t, _: {
            "attested_on": days_ago(5),
            "supervisor_name": "Dr. Pat Lee, PharmD",
            "supervisor_qualification": "Pharmacist, designated person",
        },
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
        lambda t, cert: {
            "certification": cert.pk,
            "attested_on": days_ago(5),
            "supervisor_name": "Dr. Pat Lee",
            "supervisor_qualification": "Pharmacist, designated person",
        },
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

    disguised = SimpleUploadedFile("card.pdf", PDF_HEADED_PAGE, content_type="application/pdf")
    for upload, message in ((program(), WRONG_TYPE), (big_pdf(), TOO_LARGE), (disguised, DAMAGED_PDF)):
        response = send(client, path, url, {**path.data(tech_a, record), "evidence": upload})
        assert errors_of(response, path.api) == [message]
        assert path.stored(record) == [], "a refused file must not be stored or recorded"

    response = send(client, path, url, {**path.data(tech_a, record), "evidence": small_pdf()})
    assert response.status_code in ((200, 201) if path.api else (302,)), response.content[:500]
    (stored,) = path.stored(record)
    assert stored.endswith(".pdf") and "card" not in stored  # a random name, never the person's


# ---- the content checks, one by one ----------------------------------------------------------


def refusal(content: bytes) -> str:
    with pytest.raises(ValidationError) as info:
        check_evidence(SimpleUploadedFile("card.pdf", content))
    return info.value.message_dict["evidence"][0]


def broken_png_checksum() -> bytes:
    """A real PNG whose image data no longer matches its CRC (one byte of it flipped)."""
    at = PNG.index(b"IDAT") + 6
    return PNG[:at] + bytes([PNG[at] ^ 0xFF]) + PNG[at + 1 :]


def pdf_without_pages() -> bytes:
    import pypdf

    out = io.BytesIO()
    pypdf.PdfWriter().write(out)
    return out.getvalue()


def pdf_with_a_password() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(PDF))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_of(width: int, height: int) -> bytes:
    """A valid PNG header of any size (the pixels are never needed: the size refuses it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (PDF_HEADED_PAGE, "PDF"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "PDF"),
        (PDF[: len(PDF) // 2], "PDF"),  # cut off half way
        (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "PNG image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32, "PNG image"),
        (broken_png_checksum(), "PNG image"),
        (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "JPEG image"),
        (JPEG[: len(JPEG) // 2], "JPEG image"),
    ],
    ids=[
        "pdf-header-on-html",
        "pdf-without-xref",
        "pdf-cut-short",
        "png-header-on-html",
        "png-empty-header",
        "png-bad-checksum",
        "jpeg-header-on-html",
        "jpeg-cut-short",
    ],
)
def test_a_file_that_only_starts_like_evidence_is_refused(content, label):
    assert refusal(content) == (
        f"This file starts like a {label} but does not open as one: it is damaged, or something else "
        "renamed. Upload a PDF, PNG or JPEG file."
    )


def test_a_pdf_must_have_a_page_and_no_password():
    assert refusal(pdf_without_pages()) == "This PDF has no page."
    assert refusal(pdf_with_a_password()) == (
        "This PDF is protected by a password, which the manager who checks it would not have. "
        "Upload it without the password."
    )


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded():
    """10,000 × 6,000 pixels in a file of a few hundred bytes: decoding it would take 180 MB."""
    message = "This image has more than 50 million pixels, the most that is taken. Upload a smaller photo or scan."
    assert refusal(png_of(10_000, 6_000)) == message
    assert refusal(png_of(100_000, 100_000)) == message  # past Pillow's own decompression bomb limit


@pytest.mark.parametrize(("content", "extension"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")])
def test_real_files_open_and_are_accepted(content, extension):
    upload = SimpleUploadedFile("card.pdf", content)
    assert check_evidence(upload).extension == extension
    assert upload.read() == content  # left at its start for storage
