"""Evidence uploads (a certificate card, a CE statement, a signed attestation form).

PRODUCT.md section 5: uploads are checked for type and size. The type is decided by the
file's first bytes (its "magic number"), never by its name or the browser's content type: a
program renamed ``card.pdf`` is refused, and a PNG named ``card.pdf`` is stored as ``.png``.
Accepted: PDF, PNG and JPEG, up to ``EVIDENCE_MAX_BYTES`` (5 MB unless settings say
otherwise: a phone photo of a card or a scanned page fits easily). Stored files get a random
name, so nothing personal leaks through a file name, and they are served only through a
scoped view, never from a public media URL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


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
    return kind


def prepare_evidence(upload, *, field: str = "evidence"):
    """Check ``upload`` and give it a random name with the extension its content deserves."""
    kind = check_evidence(upload, field=field)
    upload.name = f"{uuid.uuid4().hex}.{kind.extension}"
    return upload
