"""The input rules every form, serializer and model share, so that each lives once.

- Dates: 1900-01-01 to 2100-12-31. Anything outside is a typo (``199-11-04``, ``20255-01-01``),
  and a year before 1000 would not even print back as ``YYYY-MM-DD``.
- Free text: every input has a length limit; long free text (notes, descriptions,
  justifications) at most ``TEXT_MAX_LENGTH`` characters.
- Hours: never negative, and bounded: a day's logged hours (``HOURS_PER_DAY``), one CE
  activity (``MAX_CE_ACTIVITY_HOURS``), one programme (``MAX_PROGRAM_CE_HOURS``), a renewal
  rule (``MAX_RULE_HOURS``), a track position's requirement (``MAX_REQUIREMENT_HOURS``).
- Scores and percentages: 0–100.
- Control characters (Unicode's ``Cc``: the C0 controls U+0000–U+001F, DEL and the C1 controls
  U+0080–U+009F), and unpaired surrogates (``"\\ud800"`` in JSON, which is no character at all):
  never in a code or a single-line value (a query parameter, a path, an import cell); in the
  body of a form or a JSON request only tab, line feed and carriage return, which multi-line
  free text (notes, descriptions) is typed with. NUL is refused everywhere: Postgres cannot
  store it, and a lookup by a code holding one failed with a 500 instead of "not found".

  They are refused in one place, a request guard: ``ControlCharacterMiddleware``
  (``careerladder.core.middleware``), with the rules below (``control_character``). Once the
  URL has named a view it checks every field of a form (url-encoded or multipart) or JSON
  body of a write, at any depth, keys and values, before the view runs; and every query
  parameter as the view reads it (``CheckedQueryDict``), so that a parameter no view reads
  (an unknown one, or paging, only ever read as a number) is ignored as before. The API
  answers 400 ``{field: [message]}`` under the field's name (the top-level name of a nested
  value; the message gives the whole path); a page answers 400 with a page naming the field.
  A path holding one is 404: no record is named so.

  Why a guard rather than a validator on each field: many inputs never meet a field (views
  read ``request.GET``/``request.POST`` themselves: the dashboard's ``?site=``,
  ``/tracks/enrol/``), django-filter and DRF's related fields look codes up as typed, and a
  new serializer or form is covered without anyone remembering to. What it cannot know is
  which body fields are single-line, so a tab or line break inside a name is let through
  (harmless to the database and to the exports, which are XML). And a form's refusal is a
  page of its own rather than a message under the field, since the guard answers before
  the form exists (a browser sends none of these characters from a keyboard). The imports'
  one input is their file: their views opt out (``control_characters_checked``) and the
  reader checks each cell with the single-line rule (``imports.technicians``).
  ``validate_single_line`` and ``validate_text`` are the rules as Django validators, for
  input that does not come from a request.

Django validators (``validate_plausible_date``, ``percent_validators``, ``hours_validators``) are used by models
and forms and run by DRF fields too; ``PlausibleDateField`` (forms) and ``plausible_date_field``
(DRF) are the date fields with the rule built in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
DATE_RANGE_MESSAGE = "Enter a real date between 1900-01-01 and 2100-12-31 (YYYY-MM-DD)."

# Notes, descriptions, comments, justifications: a page of text, not a document.
TEXT_MAX_LENGTH = 5000
# The largest id a database holds (a signed 64-bit integer): larger numbers in a filter answer
# 400 instead of overflowing the database.
MAX_DATABASE_ID = 2**63 - 1

HOURS_PER_DAY = Decimal("24")
# Contact hours of one CE activity (a long live seminar is a day or two).
MAX_CE_ACTIVITY_HOURS = Decimal("40")
# Contact hours of one programme or CE activity; PTCB's whole CPhT cycle asks for 20.
MAX_PROGRAM_CE_HOURS = Decimal("100")
# Hours in a certification's renewal rule (CE hours per cycle, topic minimums).
MAX_RULE_HOURS = Decimal("200")
# Hours a track position may ask for (shadowing, rotational leadership): a working year.
MAX_REQUIREMENT_HOURS = Decimal("2000")

# Control characters: every one in a single-line value; all but tab, LF and CR in free text.
_SINGLE_LINE_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x1b": "escape",
    "\x7f": "delete",
}
CONTROL_CHARACTER_CODE = "control_character"


def validate_plausible_date(value: dt.date | dt.datetime | None) -> None:
    """Refuse a date before 1900-01-01 or after 2100-12-31."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")


def percent_validators() -> list:
    """0–100 (scores, accuracy, pass marks)."""
    return [
        MinValueValidator(0, message="Enter a percentage from 0 to 100."),
        MaxValueValidator(100, message="Enter a percentage from 0 to 100."),
    ]


def hours_validators(maximum: Decimal, *, positive: bool = False) -> list:
    """Hours: more than 0 (``positive``) or not negative, and at most ``maximum``."""
    low = (
        MinValueValidator(Decimal("0.01"), message="Enter more than 0 hours.")
        if positive
        else MinValueValidator(0, message="Enter 0 or more hours; hours cannot be negative.")
    )
    return [low, MaxValueValidator(maximum, message=f"Enter at most {maximum:g} hours.")]


class PlausibleDateField(forms.DateField):
    """A form date field that refuses dates outside 1900–2100, and tells the browser's date
    picker the same range."""

    default_validators = [validate_plausible_date]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", "") == "date":
            attrs.setdefault("min", EARLIEST_DATE.isoformat())
            attrs.setdefault("max", LATEST_DATE.isoformat())
        return attrs


def plausible_date_field(**kwargs):
    """A DRF ``DateField`` that refuses dates outside 1900–2100."""
    from rest_framework import serializers

    kwargs["validators"] = [validate_plausible_date, *kwargs.get("validators", [])]
    return serializers.DateField(**kwargs)


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that no input may hold (see the module docstring):
    any control character for a single-line value, any but tab, LF and CR for ``multiline``
    free text. ``None`` when there is none."""
    found = (_TEXT_REFUSED if multiline else _SINGLE_LINE_REFUSED).search(value)
    return found.group() if found else None


def describe_character(char: str) -> str:
    """``U+0000 (NUL)``: a character as a person can read it, whatever it is."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} (an unpaired surrogate)"
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"


def control_character_message(char: str, *, multiline: bool = False) -> str:
    if multiline or char not in "\t\n\r":
        return (
            f"This value contains a control character, {describe_character(char)}, which no input may "
            "hold. Remove it (it is often pasted in unseen) and send it again."
        )
    return (
        f"This value contains a control character, {describe_character(char)}, which a single-line value "
        "(a code, a name, a filter) may not hold. Remove it and send it again."
    )


def printable(text: str) -> str:
    """``text`` with its control characters written as escapes (``a\\x00b``), safe to show."""
    return _SINGLE_LINE_REFUSED.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text)


def validate_single_line(value: str) -> None:
    """A code or a single-line value: no control character at all."""
    char = control_character(value or "")
    if char is not None:
        raise ValidationError(control_character_message(char), code=CONTROL_CHARACTER_CODE)


def validate_text(value: str) -> None:
    """Multi-line free text: no control character but tab, line feed and carriage return."""
    char = control_character(value or "", multiline=True)
    if char is not None:
        raise ValidationError(control_character_message(char, multiline=True), code=CONTROL_CHARACTER_CODE)
