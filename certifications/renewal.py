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
- Only unexpired certifications have renewal progress; an expired one is reported as expired,
  or, where the type allows reinstatement, with its reinstatement progress
  (``reinstatement_progress``).
- CE without a UAN (a college course, a non-ACPE provider) counts only once a manager has
  verified its proof of completion, and counts as technician-specific hours (the technician
  took it). College hours count for at most the rule's ``max_college_hours`` (PTCB: 10);
  non-ACPE CE only where the rule accepts it. Unverified hours are named in the message
  ("2 h waiting for verification") and do not count.
- ``min_compounding_hours`` (CSPT) asks for hours in ACPE topic 07 (compounding), part of the
  total like the other topic minimums.
- The rule comes from the certification type, which is organisation policy: hr edits the
  numbers (with history) and every page follows the next time it is read, no release needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from careerladder.core.dates import add_months
from certifications.acpe import TOPIC_COMPOUNDING, TOPIC_LAW, TOPIC_PATIENT_SAFETY

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
    min_compounding_hours: Decimal = ZERO
    max_college_hours: Decimal = ZERO
    accepts_non_acpe: bool = False
    reinstatement_months: int = 0
    reinstatement_hours: Decimal = ZERO
    reinstatement_law_hours: Decimal = ZERO
    reinstatement_patient_safety_hours: Decimal = ZERO

    @classmethod
    def of(cls, cert_type) -> RenewalRule:
        return cls(
            min_compounding_hours=cert_type.min_compounding_hours or ZERO,
            max_college_hours=cert_type.max_college_hours or ZERO,
            accepts_non_acpe=cert_type.accepts_non_acpe,
            reinstatement_months=cert_type.reinstatement_months or 0,
            reinstatement_hours=cert_type.reinstatement_hours or ZERO,
            reinstatement_law_hours=cert_type.reinstatement_law_hours or ZERO,
            reinstatement_patient_safety_hours=cert_type.reinstatement_patient_safety_hours or ZERO,
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
        return self.ce_hours_required > 0 or self.min_compounding_hours > 0

    @property
    def reinstatable(self) -> bool:
        return self.reinstatement_months > 0

    @property
    def applies(self) -> bool:
        return self.has_ce or self.requires_attestation


@dataclass(frozen=True)
class CreditLine:
    completed_on: dt.date
    topic: str
    audience: str
    hours: Decimal
    source: str = "acpe"  # acpe | college | non_acpe (CECredit.Source)
    verified: bool = False  # matters only for CE without a UAN


@dataclass(frozen=True)
class AttestationLine:
    attested_on: dt.date
    supervisor_name: str = ""
    qualification: str = ""


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
    compounding_hours: Decimal = ZERO
    compounding_needed: Decimal = ZERO
    compounding_required: Decimal = ZERO
    college_hours: Decimal = ZERO
    college_hours_counted: Decimal = ZERO
    waiting_verification_hours: Decimal = ZERO
    requirement_missing: str = ""
    attestation_required: bool = False
    attested_on: dt.date | None = None
    attested_by: str = ""
    attested_qualification: str = ""
    complete: bool = False
    message: str = ""
    credits_counted: int = 0
    percent: int = 0
    needs: list[str] = field(default_factory=list)


def cycle_start_for(*, issued_on: dt.date, expires_on: dt.date, validity_months: int | None) -> dt.date:
    if not validity_months:
        return issued_on
    return max(issued_on, add_months(expires_on, -validity_months))


@dataclass(frozen=True)
class Tally:
    """The hours of some credits, as a rule counts them."""

    counted: Decimal
    technician: Decimal
    pharmacist: Decimal
    pharmacist_counted: Decimal
    law: Decimal
    safety: Decimal
    compounding: Decimal
    college: Decimal
    college_counted: Decimal
    waiting: Decimal
    lines: int


def tally(credits: Iterable[CreditLine], *, rule: RenewalRule, start: dt.date, end: dt.date) -> Tally:
    """Hours of the credits completed from ``start`` to ``end`` (both included) that count for
    ``rule``: ACPE credits as their UAN says; verified college hours (capped) and verified
    non-ACPE hours (where accepted) as technician-specific; the rest waits for verification."""
    in_range = [c for c in credits if start <= c.completed_on <= end]
    acpe = [c for c in in_range if c.source == "acpe"]
    college = [c for c in in_range if c.source == "college" and c.verified]
    non_acpe = [c for c in in_range if c.source == "non_acpe" and c.verified and rule.accepts_non_acpe]
    waiting = sum((c.hours for c in in_range if c.source != "acpe" and not c.verified), ZERO)
    college_hours = sum((c.hours for c in college), ZERO)
    college_counted = min(college_hours, rule.max_college_hours)
    other = non_acpe + college  # topics of CE without a UAN, as the verifier recorded them
    technician = sum((c.hours for c in acpe if c.audience == "T"), ZERO)
    technician += sum((c.hours for c in non_acpe), ZERO) + college_counted
    pharmacist = sum((c.hours for c in acpe if c.audience == "P"), ZERO)
    pharmacist_counted = pharmacist if rule.max_pharmacist_hours is None else min(pharmacist, rule.max_pharmacist_hours)

    def topic_hours(topic: str) -> Decimal:
        hours = sum((c.hours for c in acpe if c.topic == topic), ZERO)
        hours += sum((c.hours for c in other if c.topic == topic and c.source == "non_acpe"), ZERO)
        # College hours count toward a topic only within the college cap.
        return hours + min(sum((c.hours for c in college if c.topic == topic), ZERO), college_counted)

    return Tally(
        counted=technician + pharmacist_counted,
        technician=technician,
        pharmacist=pharmacist,
        pharmacist_counted=pharmacist_counted,
        law=topic_hours(TOPIC_LAW),
        safety=topic_hours(TOPIC_PATIENT_SAFETY),
        compounding=topic_hours(TOPIC_COMPOUNDING),
        college=college_hours,
        college_counted=college_counted,
        waiting=waiting,
        lines=len(in_range),
    )


def _fill(progress, counts: Tally, *, total: Decimal, law: Decimal, safety: Decimal, rule: RenewalRule) -> list[str]:
    """Store ``counts`` on ``progress`` against the minimums and return what is still needed,
    in words ("6 h more CE, incl. 1 h of law")."""
    progress.counted_hours = counts.counted
    progress.technician_hours = counts.technician
    progress.pharmacist_hours = counts.pharmacist
    progress.pharmacist_hours_counted = counts.pharmacist_counted
    progress.law_hours = counts.law
    progress.patient_safety_hours = counts.safety
    progress.compounding_hours = counts.compounding
    progress.college_hours = counts.college
    progress.college_hours_counted = counts.college_counted
    progress.waiting_verification_hours = counts.waiting
    progress.law_needed = max(ZERO, law - counts.law)
    progress.patient_safety_needed = max(ZERO, safety - counts.safety)
    progress.compounding_needed = max(ZERO, rule.min_compounding_hours - counts.compounding)
    progress.technician_needed = max(ZERO, rule.min_technician_hours - counts.technician)
    progress.more_hours = max(
        total - counts.counted,
        progress.technician_needed,
        progress.law_needed + progress.patient_safety_needed + progress.compounding_needed,
        ZERO,
    )
    progress.percent = min(100, int(100 * counts.counted / total)) if total else (0 if progress.more_hours else 100)
    needs: list[str] = []
    if progress.more_hours > 0:
        included = []
        if progress.law_needed:
            included.append(f"{format_hours(progress.law_needed)} h of law")
        if progress.patient_safety_needed:
            included.append(f"{format_hours(progress.patient_safety_needed)} h of patient safety")
        if progress.compounding_needed:
            included.append(f"{format_hours(progress.compounding_needed)} h of sterile compounding")
        all_technician = progress.technician_needed >= progress.more_hours
        if progress.technician_needed and not all_technician:
            included.append(f"{format_hours(progress.technician_needed)} h technician-specific")
        kind = "technician-specific CE" if all_technician else "CE"
        text = f"{format_hours(progress.more_hours)} h more {kind}"
        if included:
            text += ", incl. " + join_words(included)
        if counts.waiting:
            text += f" ({format_hours(counts.waiting)} h waiting for verification)"
        needs.append(text)
    return needs


def renewal_progress(
    *,
    rule: RenewalRule,
    issued_on: dt.date,
    expires_on: dt.date,
    credits: Iterable[CreditLine],
    attestations: Iterable[AttestationLine] = (),
    today: dt.date,
    requirement_missing: str = "",
) -> RenewalProgress:
    """Where one unexpired certification stands against its renewal rule on ``today``.
    ``requirement_missing`` names a credential it needs and the technician does not hold
    ("an active CPhT", for CSPT): the renewal is not complete without it."""
    start = cycle_start_for(issued_on=issued_on, expires_on=expires_on, validity_months=rule.validity_months)
    window_opens = expires_on - dt.timedelta(days=rule.renewal_window_opens_days)
    due = expires_on - dt.timedelta(days=rule.renewal_due_days)
    phase = "not_open" if today < window_opens else ("open" if today <= due else "late")
    counts = tally(credits, rule=rule, start=start, end=expires_on)

    progress = RenewalProgress(
        cycle_start=start,
        expires_on=expires_on,
        window_opens_on=window_opens,
        due_on=due,
        phase=phase,
        status="in_progress",
        ce_required=rule.ce_hours_required,
        attestation_required=rule.requires_attestation,
        credits_counted=counts.lines,
        requirement_missing=requirement_missing,
        compounding_required=rule.min_compounding_hours,
    )
    needs: list[str] = []
    if requirement_missing:
        needs.append(requirement_missing)
    if rule.has_ce:
        needs += _fill(
            progress,
            counts,
            total=rule.ce_hours_required,
            law=rule.min_law_hours,
            safety=rule.min_patient_safety_hours,
            rule=rule,
        )
    counted = counts.counted
    if rule.requires_attestation:
        attested = sorted(
            (a for a in attestations if start <= a.attested_on <= expires_on), key=lambda a: a.attested_on
        )
        if attested:
            progress.attested_on = attested[-1].attested_on
            progress.attested_by = attested[-1].supervisor_name
            progress.attested_qualification = attested[-1].qualification
        else:
            needs.append("a supervisor's attestation of sterile-compounding competency")
    progress.needs = needs
    progress.complete = not needs
    expiry_words = format_day(expires_on)
    if progress.complete:
        progress.status = "complete"
        parts = []
        if rule.ce_hours_required:
            parts.append(f"CE complete: {format_hours(counted)} h counted of {format_hours(rule.ce_hours_required)}.")
        elif rule.min_compounding_hours:
            parts.append(f"CE complete: {format_hours(progress.compounding_hours)} h of sterile compounding.")
        if progress.attested_on:
            who = f" by {progress.attested_by}" if progress.attested_by else ""
            if progress.attested_qualification:
                who += f" ({progress.attested_qualification})"
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


@dataclass
class ReinstatementProgress:
    """An expired credential that may still be reinstated (``status`` ``reinstate``: by
    ``deadline``, with the CE counted so far) or may not any more (``lapsed``: the exam must
    be retaken)."""

    expired_on: dt.date
    deadline: dt.date
    status: str  # reinstate | lapsed
    cycle_start: dt.date
    ce_required: Decimal
    counted_hours: Decimal = ZERO
    technician_hours: Decimal = ZERO
    pharmacist_hours: Decimal = ZERO
    pharmacist_hours_counted: Decimal = ZERO
    law_hours: Decimal = ZERO
    patient_safety_hours: Decimal = ZERO
    compounding_hours: Decimal = ZERO
    college_hours: Decimal = ZERO
    college_hours_counted: Decimal = ZERO
    waiting_verification_hours: Decimal = ZERO
    more_hours: Decimal = ZERO
    law_needed: Decimal = ZERO
    patient_safety_needed: Decimal = ZERO
    compounding_needed: Decimal = ZERO
    technician_needed: Decimal = ZERO
    percent: int = 0
    complete: bool = False
    headline: str = ""
    message: str = ""
    needs: list[str] = field(default_factory=list)


def reinstatement_deadline(*, rule: RenewalRule, expires_on: dt.date) -> dt.date:
    """The last day to reinstate: the expiry date plus the reinstatement period in calendar
    months (PTCB: expired 2018-11-30, CE may be completed up to 2019-11-30)."""
    return add_months(expires_on, rule.reinstatement_months)


def reinstatement_progress(
    *, rule: RenewalRule, issued_on: dt.date, expires_on: dt.date, credits: Iterable[CreditLine], today: dt.date
) -> ReinstatementProgress:
    """Where an expired, reinstatable credential stands on ``today``.

    PTCB: reinstatement within one year of expiry with the CE of a renewal plus one more law
    hour (20 h incl. 2 h law and 1 h patient safety; the technician-specific minimum and the
    pharmacist-specific cap still apply), completed from the start of the lapsed cycle up to
    the reinstatement deadline. After the deadline the exam must be retaken.
    """
    start = cycle_start_for(issued_on=issued_on, expires_on=expires_on, validity_months=rule.validity_months)
    deadline = reinstatement_deadline(rule=rule, expires_on=expires_on)
    progress = ReinstatementProgress(
        expired_on=expires_on,
        deadline=deadline,
        status="reinstate" if today <= deadline else "lapsed",
        cycle_start=start,
        ce_required=rule.reinstatement_hours,
    )
    if progress.status == "lapsed":
        progress.headline = "Lapsed beyond reinstatement: retake the exam"
        progress.message = (
            f"Expired {format_day(expires_on)}; the reinstatement period ended {format_day(deadline)}. "
            "Retake and pass the exam to hold it again."
        )
        return progress
    counts = tally(credits, rule=rule, start=start, end=deadline)
    progress.needs = _fill(
        progress,
        counts,
        total=rule.reinstatement_hours,
        law=rule.reinstatement_law_hours,
        safety=rule.reinstatement_patient_safety_hours,
        rule=replace(rule, min_compounding_hours=ZERO),
    )
    progress.complete = not progress.needs
    progress.headline = f"Expired \u2014 reinstate by {format_day(deadline)}"
    if progress.complete:
        progress.message = (
            f"CE for reinstatement complete: {format_hours(counts.counted)} h counted of "
            f"{format_hours(rule.reinstatement_hours)}. Apply to reinstate by {format_day(deadline)}."
        )
    else:
        what = join_words(progress.needs)
        progress.message = f"{what[0].upper()}{what[1:]} to reinstate, by {format_day(deadline)}."
    return progress
