"""ACPE universal activity numbers (UANs): what a CE credit's number says about it.

A UAN such as ``0145-0000-25-012-H03-T`` reads (ACPE, as providers explain it to learners):

- ``0145``: the accredited provider's number (Joint Accreditation providers write ``JA`` and
  seven digits instead, e.g. ``JA0002895``);
- ``0000``: sole provider, or ``9999`` when two or more organisations provide it jointly;
- ``25``: the year the activity was released;
- ``012``: the provider's own sequence number;
- ``H03``: the activity type (``L`` live, ``H`` home study, ``B`` blended) and the two-digit
  topic designator (``03`` pharmacy law, ``05`` patient safety, ...);
- ``T``: the audience (``T`` technicians, ``P`` pharmacists).

Decision: we accept every two-digit topic from 01 to 99, because ACPE adds designators over
time; the ones we know get a name, the others read "ACPE topic NN". Lower case, spaces and
en dashes are tolerated on input and normalised away.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

TOPIC_LAW = "03"
TOPIC_PATIENT_SAFETY = "05"
TOPIC_COMPOUNDING = "07"

TOPIC_NAMES = {
    "01": "Disease state management / drug therapy",
    "02": "HIV / AIDS therapy",
    "03": "Pharmacy law",
    "04": "General pharmacy",
    "05": "Patient safety",
    "06": "Immunizations",
    "07": "Compounding",
    "08": "Pain management / opioids",
}

ACTIVITY_TYPES = {"L": "Live", "H": "Home study", "B": "Blended"}
AUDIENCES = {"T": "Technician-specific", "P": "Pharmacist-specific"}
JOINT_PROVIDER_CODES = {"0000": False, "9999": True}

UAN_PATTERN = re.compile(
    r"^(?P<provider>JA\d{7}|\d{4})-(?P<joint>\d{4})-(?P<year>\d{2})-(?P<sequence>\d{3})-"
    r"(?P<activity_type>[LHB])(?P<topic>\d{2})-(?P<audience>[PT])$"
)
EXAMPLE = "0145-0000-25-012-H03-T"


@dataclass(frozen=True)
class Uan:
    number: str
    provider: str
    jointly_provided: bool
    release_year: int
    sequence: str
    activity_type: str
    topic: str
    audience: str

    @property
    def topic_name(self) -> str:
        return topic_name(self.topic)


def topic_name(code: str) -> str:
    return TOPIC_NAMES.get(code, f"ACPE topic {code}")


def normalise_uan(raw: str) -> str:
    """Upper case, no spaces, en/em dashes as hyphens."""
    return re.sub(r"\s+", "", (raw or "").upper().replace("\u2013", "-").replace("\u2014", "-"))


def parse_uan(raw: str, *, completed_on: dt.date | None = None) -> Uan:
    """Read a UAN or raise ``ValidationError`` (on the ``uan`` field) saying what is wrong."""
    number = normalise_uan(raw)
    match = UAN_PATTERN.match(number)
    if not match:
        raise ValidationError(
            {"uan": f"'{raw}' is not an ACPE universal activity number; it looks like {EXAMPLE}."},
            code="invalid_uan",
        )
    parts = match.groupdict()
    if parts["joint"] not in JOINT_PROVIDER_CODES:
        raise ValidationError(
            {"uan": "The second group of a UAN is 0000 (one provider) or 9999 (joint providers)."},
            code="invalid_uan",
        )
    if parts["topic"] == "00":
        raise ValidationError({"uan": "Topic 00 does not exist; ACPE topics run from 01."}, code="invalid_uan")
    release_year = 2000 + int(parts["year"])
    if completed_on is not None and release_year > completed_on.year:
        raise ValidationError(
            {"uan": f"This activity was released in {release_year}, after the completion date."},
            code="invalid_uan",
        )
    return Uan(
        number=number,
        provider=parts["provider"],
        jointly_provided=JOINT_PROVIDER_CODES[parts["joint"]],
        release_year=release_year,
        sequence=parts["sequence"],
        activity_type=parts["activity_type"],
        topic=parts["topic"],
        audience=parts["audience"],
    )
