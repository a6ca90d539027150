"""Renewal progress of one held certification: CE hours and topics of the current cycle, the
supervisor's attestation where the type asks for one, and the renewal window.

PTCB's CPhT rule (PRODUCT.md section 2, as PTCB publishes it): 20 CE hours per 24-month cycle,
of which at least 1 h pharmacy law (ACPE topic 03) and 1 h patient safety (topic 05), at
least 15 h technician-specific (UAN suffix T); pharmacist-specific hours (suffix P) count for
at most 5 h. The renewal window opens 60 days before expiry and the application is due 30
days before it. The numbers come from the certification type, so CPhT-Adv (25 h) and types hr
adds use the same code.

Decisions:
- The cycle is the ``validity_months`` before the expiry date (a renewal moves the expiry
  date forward by one cycle), but never starts before the certification was issued. Credits
  completed from the cycle's first day up to the expiry date count.
- Topic minimums count hours of either audience: a pharmacist-specific law hour is still a law
  hour (it also counts against the 5 h cap).
- "More hours needed" is the largest of: hours short of the total, hours short of the
  technician-specific minimum, and the law and patient-safety hours still missing together
  (those are part of the total, not on top of it).
- Only unexpired certifications have renewal progress; an expired one is reported as expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from careerladder.core.dates import add_months
from certifications.acpe import TOPIC_LAW, TOPIC_PATIENT_SAFETY

ZERO = Decimal("0")


def format_hours(value: Decimal | int | float) -> str:
    """2.50 -> "2.5", 1.00 -> "1", 0.75 -> "0.75"."""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    text = format(number.normalize(), "f")
    return text


def join_words(parts: list[str]) -> str:
    """["a"] -> "a"; ["a", "b", "c"] -> "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def format_day(day: dt.date) -> str:
    """March 14, 2026 (the organisation is in the US)."""
    return f"{day:%B} {day.day}, {day.year}"


@dataclass(frozen=True)
class RenewalRule:
    ce_hours_required: Decimal = ZERO
    min_law_hours: Decimal = ZERO
    min_patient_safety_hours: Decimal = ZERO
    min_technician_hours: Decimal = ZERO
    max_pharmacist_hours: Decimal | None = None
    renewal_window_opens_days: int = 60
    renewal_due_days: int = 30
    validity_months: int | None = None
    requires_attestation: bool = False

    @classmethod
    def of(cls, cert_type) -> RenewalRule:
        return cls(
            ce_hours_required=cert_type.ce_hours_required or ZERO,
            min_law_hours=cert_type.min_law_hours or ZERO,
            min_patient_safety_hours=cert_type.min_patient_safety_hours or ZERO,
            min_technician_hours=cert_type.min_technician_hours or ZERO,
            max_pharmacist_hours=cert_type.max_pharmacist_hours,
            renewal_window_opens_days=cert_type.renewal_window_opens_days,
            renewal_due_days=cert_type.renewal_due_days,
            validity_months=cert_type.validity_months,
            requires_attestation=cert_type.requires_attestation,
        )

    @property
    def has_ce(self) -> bool:
        return self.ce_hours_required > 0

    @property
    def applies(self) -> bool:
        return self.has_ce or self.requires_attestation


@dataclass(frozen=True)
class CreditLine:
    completed_on: dt.date
    topic: str
    audience: str
    hours: Decimal


@dataclass(frozen=True)
class AttestationLine:
    attested_on: dt.date
    supervisor_name: str = ""


@dataclass
class RenewalProgress:
    cycle_start: dt.date
    expires_on: dt.date
    window_opens_on: dt.date
    due_on: dt.date
    phase: str  # not_open | open | late
    status: str  # complete | in_progress | due_soon | overdue
    ce_required: Decimal
    counted_hours: Decimal = ZERO
    technician_hours: Decimal = ZERO
    pharmacist_hours: Decimal = ZERO
    pharmacist_hours_counted: Decimal = ZERO
    law_hours: Decimal = ZERO
    patient_safety_hours: Decimal = ZERO
    more_hours: Decimal = ZERO
    law_needed: Decimal = ZERO
    patient_safety_needed: Decimal = ZERO
    technician_needed: Decimal = ZERO
    attestation_required: bool = False
    attested_on: dt.date | None = None
    attested_by: str = ""
    complete: bool = False
    message: str = ""
    credits_counted: int = 0
    percent: int = 0
    needs: list[str] = field(default_factory=list)


def cycle_start_for(*, issued_on: dt.date, expires_on: dt.date, validity_months: int | None) -> dt.date:
    if not validity_months:
        return issued_on
    return max(issued_on, add_months(expires_on, -validity_months))


def renewal_progress(
    *,
    rule: RenewalRule,
    issued_on: dt.date,
    expires_on: dt.date,
    credits: Iterable[CreditLine],
    attestations: Iterable[AttestationLine] = (),
    today: dt.date,
) -> RenewalProgress:
    """Where one unexpired certification stands against its renewal rule on ``today``."""
    start = cycle_start_for(issued_on=issued_on, expires_on=expires_on, validity_months=rule.validity_months)
    window_opens = expires_on - dt.timedelta(days=rule.renewal_window_opens_days)
    due = expires_on - dt.timedelta(days=rule.renewal_due_days)
    phase = "not_open" if today < window_opens else ("open" if today <= due else "late")

    in_cycle = [c for c in credits if start <= c.completed_on <= expires_on]
    technician = sum((c.hours for c in in_cycle if c.audience == "T"), ZERO)
    pharmacist = sum((c.hours for c in in_cycle if c.audience == "P"), ZERO)
    law = sum((c.hours for c in in_cycle if c.topic == TOPIC_LAW), ZERO)
    safety = sum((c.hours for c in in_cycle if c.topic == TOPIC_PATIENT_SAFETY), ZERO)
    pharmacist_counted = pharmacist if rule.max_pharmacist_hours is None else min(pharmacist, rule.max_pharmacist_hours)
    counted = technician + pharmacist_counted

    progress = RenewalProgress(
        cycle_start=start,
        expires_on=expires_on,
        window_opens_on=window_opens,
        due_on=due,
        phase=phase,
        status="in_progress",
        ce_required=rule.ce_hours_required,
        attestation_required=rule.requires_attestation,
        credits_counted=len(in_cycle),
    )
    needs: list[str] = []
    if rule.has_ce:
        progress.counted_hours = counted
        progress.technician_hours = technician
        progress.pharmacist_hours = pharmacist
        progress.pharmacist_hours_counted = pharmacist_counted
        progress.law_hours = law
        progress.patient_safety_hours = safety
        progress.law_needed = max(ZERO, rule.min_law_hours - law)
        progress.patient_safety_needed = max(ZERO, rule.min_patient_safety_hours - safety)
        progress.technician_needed = max(ZERO, rule.min_technician_hours - technician)
        progress.more_hours = max(
            rule.ce_hours_required - counted,
            progress.technician_needed,
            progress.law_needed + progress.patient_safety_needed,
            ZERO,
        )
        progress.percent = min(100, int(100 * counted / rule.ce_hours_required))
        if progress.more_hours > 0:
            included = []
            if progress.law_needed:
                included.append(f"{format_hours(progress.law_needed)} h of law")
            if progress.patient_safety_needed:
                included.append(f"{format_hours(progress.patient_safety_needed)} h of patient safety")
            all_technician = progress.technician_needed >= progress.more_hours
            if progress.technician_needed and not all_technician:
                included.append(f"{format_hours(progress.technician_needed)} h technician-specific")
            kind = "technician-specific CE" if all_technician else "CE"
            text = f"{format_hours(progress.more_hours)} h more {kind}"
            if included:
                text += ", incl. " + join_words(included)
            needs.append(text)
    if rule.requires_attestation:
        attested = sorted(
            (a for a in attestations if start <= a.attested_on <= expires_on), key=lambda a: a.attested_on
        )
        if attested:
            progress.attested_on = attested[-1].attested_on
            progress.attested_by = attested[-1].supervisor_name
        else:
            needs.append("a supervisor's attestation of sterile-compounding competency")
    progress.needs = needs
    progress.complete = not needs
    expiry_words = format_day(expires_on)
    if progress.complete:
        progress.status = "complete"
        parts = []
        if rule.has_ce:
            parts.append(f"CE complete: {format_hours(counted)} h counted of {format_hours(rule.ce_hours_required)}.")
        if progress.attested_on:
            who = f" by {progress.attested_by}" if progress.attested_by else ""
            parts.append(f"Attested on {format_day(progress.attested_on)}{who}.")
        if phase == "not_open":
            parts.append(f"Apply for renewal between {format_day(window_opens)} and {format_day(due)}.")
        elif phase == "open":
            parts.append(f"Apply for renewal by {format_day(due)}.")
        else:
            parts.append(f"The application was due {format_day(due)}; it expires {expiry_words}.")
        progress.message = " ".join(parts)
    else:
        what = join_words(needs)
        what = what[0].upper() + what[1:]
        if phase == "late":
            progress.status = "overdue"
            progress.message = f"{what}: the renewal was due {format_day(due)} and it expires {expiry_words}."
        else:
            progress.status = "due_soon" if phase == "open" else "in_progress"
            progress.message = f"{what}, by {format_day(due)}."
    return progress
