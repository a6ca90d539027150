"""The input rules every form, serializer and model share, so that each lives once.

- Dates: 1900-01-01 to 2100-12-31. Anything outside is a typo (``199-11-04``, ``20255-01-01``),
  and a year before 1000 would not even print back as ``YYYY-MM-DD``.
- Free text: every input has a length limit; long free text (notes, descriptions,
  justifications) at most ``TEXT_MAX_LENGTH`` characters.
- Hours: never negative, and bounded: a day's logged hours (``HOURS_PER_DAY``), one CE
  activity (``MAX_CE_ACTIVITY_HOURS``), one programme (``MAX_PROGRAM_CE_HOURS``), a renewal
  rule (``MAX_RULE_HOURS``), a track position's requirement (``MAX_REQUIREMENT_HOURS``).
- Scores and percentages: 0–100.

Django validators (``validate_plausible_date``, ``percent_validators``, ``hours_validators``) are used by models
and forms and run by DRF fields too; ``PlausibleDateField`` (forms) and ``plausible_date_field``
(DRF) are the date fields with the rule built in.
"""

from __future__ import annotations

import datetime as dt
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
