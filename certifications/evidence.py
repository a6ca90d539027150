"""Evidence uploads (a certificate card, a CE statement, a signed attestation form).

PRODUCT.md section 5: uploads are checked for type and size. The type is decided by the
file's first bytes (its "magic number"), never by its name or the browser's content type: a
program renamed ``card.pdf`` is refused, and a PNG named ``card.pdf`` is stored as ``.png``.
The first bytes are not enough on their own (``%PDF-`` followed by a web page passed), so the
file must then also be what it says: a PDF must open with pypdf and have a page; an image must
pass Pillow's ``verify()`` (its structure and checksums) and then decode, with at most
``MAX_IMAGE_PIXELS`` (50 million: a phone photo of a card is 12) so that a small file cannot
unpack to gigabytes. A password-protected PDF is refused too: the manager who verifies the
record must be able to open it.
Accepted: PDF, PNG and JPEG, up to ``EVIDENCE_MAX_BYTES`` (5 MB unless settings say
otherwise: a phone photo of a card or a scanned page fits easily). Stored files get a random
name, so nothing personal leaks through a file name, and they are served only through a
scoped view, never from a public media URL.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class EvidenceKind:
    extension: str
    content_type: str
    label: str


PDF = EvidenceKind("pdf", "application/pdf", "PDF")
PNG = EvidenceKind("png", "image/png", "PNG image")
JPEG = EvidenceKind("jpg", "image/jpeg", "JPEG image")

SIGNATURES: list[tuple[bytes, EvidenceKind]] = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
]
ALLOWED_WORDS = "a PDF, PNG or JPEG file"
ACCEPT_ATTRIBUTE = "application/pdf,image/png,image/jpeg"


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> EvidenceKind | None:
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def kind_of_name(name: str) -> EvidenceKind | None:
    ext = (name or "").rsplit(".", 1)[-1].lower()
    return {"pdf": PDF, "png": PNG, "jpg": JPEG, "jpeg": JPEG}.get(ext)


def check_evidence(upload, *, field: str = "evidence") -> EvidenceKind:
    """Refuse anything but a non-empty PDF/PNG/JPEG under the size limit; return its kind."""
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            {field: f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB."},
            code="too_large",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(16)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if not head:
        raise ValidationError({field: "The file is empty."}, code="empty")
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            {field: f"Upload {ALLOWED_WORDS}; this file's content is none of those, whatever its name."},
            code="wrong_type",
        )
    problem = _pdf_problem(upload) if kind is PDF else _image_problem(upload, kind)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if problem:
        raise ValidationError({field: problem}, code="damaged")
    return kind


def _damaged(kind: EvidenceKind) -> str:
    return (
        f"This file starts like a {kind.label} but does not open as one: it is damaged, or something "
        f"else renamed. Upload {ALLOWED_WORDS}."
    )


def _pdf_problem(upload) -> str:
    """Why the upload is not a PDF that opens, or ``""``."""
    import pypdf
    from pypdf.errors import PyPdfError

    # pypdf logs each repair it makes to a damaged file; the answer says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    upload.seek(0)
    try:
        reader = pypdf.PdfReader(upload)
        if reader.is_encrypted:
            return (
                "This PDF is protected by a password, which the manager who checks it would not have. "
                "Upload it without the password."
            )
        if len(reader.pages) < 1:
            return "This PDF has no page."
        _ = reader.pages[0].mediabox  # the first page's own dictionary must read too
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, OSError):
        return _damaged(PDF)
    return ""


def _image_problem(upload, kind: EvidenceKind) -> str:
    """Why the upload is not an image that decodes, or ``""``."""
    from PIL import Image, UnidentifiedImageError

    failures = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
    too_many = (
        f"This image has more than {MAX_IMAGE_PIXELS / 1e6:.0f} million pixels, the most that is taken. "
        "Upload a smaller photo or scan."
    )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return too_many
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            # A JPEG is decoded at an eighth of its size: every byte of it is still read.
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Image.DecompressionBombError:
        return too_many
    except failures:
        return _damaged(kind)
    return ""


def prepare_evidence(upload, *, field: str = "evidence"):
    """Check ``upload`` and give it a random name with the extension its content deserves."""
    kind = check_evidence(upload, field=field)
    upload.name = f"{uuid.uuid4().hex}.{kind.extension}"
    return upload
