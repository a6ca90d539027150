"""Evidence uploads are checked by content (magic bytes) and size, never by name."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from certifications.evidence import check_evidence, prepare_evidence


def _pdf() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image(kind: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, kind)
    return out.getvalue()


def padded(pdf: bytes, size: int) -> bytes:
    """``pdf`` grown to ``size`` bytes by a comment before its trailer: still a PDF that opens."""
    head, tail = pdf.rsplit(b"startxref", 1)
    return head + b"%" + b"0" * (size - len(pdf) - 2) + b"\n" + b"startxref" + tail


# Real (tiny) files: evidence must open, not only start with the right bytes.
PDF = _pdf()
PNG = _image("PNG")
JPEG = _image("JPEG")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 40  # e.g. a .docx
HTML = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(("content", "extension"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")])
def test_pdf_png_and_jpeg_are_accepted_whatever_their_name(content, extension):
    upload = SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")
    assert check_evidence(upload).extension == extension
    prepare_evidence(upload)
    assert upload.name.endswith(f".{extension}")
    assert "scan" not in upload.name  # a random name: nothing personal in storage


@pytest.mark.parametrize("content", [EXE, ZIP, HTML, b"just some text"])
def test_other_content_renamed_pdf_is_refused(content):
    upload = SimpleUploadedFile("certificate.pdf", content, content_type="application/pdf")
    with pytest.raises(ValidationError) as info:
        check_evidence(upload)
    assert info.value.message_dict == {
        "evidence": ["Upload a PDF, PNG or JPEG file; this file's content is none of those, whatever its name."]
    }


def test_too_large_is_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    upload = SimpleUploadedFile("card.pdf", PDF + b"0" * (3 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError) as info:
        check_evidence(upload)
    assert info.value.message_dict == {"evidence": ["The file is 3.0 MB; the limit is 2 MB."]}


def test_default_limit_is_five_megabytes():
    just_under = SimpleUploadedFile("card.pdf", padded(PDF, 5 * 1024 * 1024))
    assert check_evidence(just_under).extension == "pdf"
    over = SimpleUploadedFile("card.pdf", PDF + b"0" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError):
        check_evidence(over)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as info:
        check_evidence(SimpleUploadedFile("card.png", b""))
    assert info.value.message_dict == {"evidence": ["The file is empty."]}
