"""Every write to certification records. Views, the API, tasks and the demo call these.

Callers check who may act with ``certifications.permissions`` first (for the form's message
and the 403). A rule that depends on the record's state or on its technician (a technician
changes their own certification only while it is unverified; nobody verifies, returns,
attests, extends or awards for themselves) is checked again here on the locked row and is
the one that decides: a verification that commits between the page's check and the write
wins. A refusal there raises ``PermissionDenied`` (403); a broken record rule raises
``ApplicationError`` or ``ValidationError`` (400).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from careerladder.core import versions
from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from careerladder.core.models import full_clean_fields
from careerladder.core.validators import MAX_CE_ACTIVITY_HOURS
from certifications.acpe import TOPIC_COMPOUNDING, TOPIC_LAW, TOPIC_NAMES, TOPIC_PATIENT_SAFETY, parse_uan
from certifications.evidence import prepare_evidence
from certifications.models import (
    POLICY_LABELS,
    Attestation,
    CECredit,
    Certification,
    CertificationType,
    OrgPolicy,
    PracticeTest,
    PtcbExtension,
)
from certifications.permissions import can_change_certification, can_oversee, is_own
from certifications.practice import clean_domain_scores, clean_percent
from certifications.ptcb import ptcb_deadline
from certifications.renewal import format_day, format_hours
from certifications.selectors import counts_as, policy_get, short_name
from certifications.signals import credential_counted
from technicians.models import Technician

MAX_CE_HOURS = MAX_CE_ACTIVITY_HOURS  # one rule for the model, forms, API and imports


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# --- Policy and configuration -----------------------------------------------------------

POLICY_FIELDS = ("ptcb_window_months", "practice_pass_mark", "expiring_days")


@transaction.atomic
def policy_update(*, data: dict[str, Any], updated_by=None) -> OrgPolicy:
    """Hr changes the PTCB window, the practice pass mark or the "expiring" horizon. History
    keeps who changed what (``OrgPolicy.history``)."""
    policy = OrgPolicy.objects.select_for_update().get(pk=policy_get().pk)
    changes = []
    for name, value in data.items():
        if name not in POLICY_FIELDS:
            raise ApplicationError(f"'{name}' is not a policy setting.", field=name)
        if getattr(policy, name) != value:
            changes.append(f"{POLICY_LABELS[name]}: {getattr(policy, name)} \u2192 {value}")
        setattr(policy, name, value)
    if not 1 <= int(policy.ptcb_window_months) <= 36:
        raise ApplicationError(errors={"ptcb_window_months": "The PTCB window is 1 to 36 months."})
    if not 1 <= int(policy.practice_pass_mark) <= 100:
        raise ApplicationError(errors={"practice_pass_mark": "The pass mark is a percentage from 1 to 100."})
    if not 1 <= int(policy.expiring_days) <= 365:
        raise ApplicationError(errors={"expiring_days": "Use 1 to 365 days."})
    policy._change_reason = "; ".join(changes) or "Saved without changes"
    policy._history_user = updated_by
    full_clean_fields(policy)
    policy.save()
    return policy


CERTIFICATION_TYPE_FIELDS = (
    "code",
    "name",
    "issuing_body",
    "category",
    "validity_months",
    "requires",
    "state",
    "ce_hours_required",
    "min_law_hours",
    "min_patient_safety_hours",
    "min_technician_hours",
    "max_pharmacist_hours",
    "renewal_window_opens_days",
    "renewal_due_days",
    "requires_attestation",
    "min_compounding_hours",
    "max_college_hours",
    "accepts_non_acpe",
    "reinstatement_months",
    "reinstatement_hours",
    "reinstatement_law_hours",
    "reinstatement_patient_safety_hours",
    "upgrade_of",
    "renewal_notes",
)


def _check_type(cert_type: CertificationType) -> None:
    errors = {}
    if cert_type.renewal_due_days > cert_type.renewal_window_opens_days:
        errors["renewal_due_days"] = "The renewal cannot be due before its window opens."
    if cert_type.ce_hours_required and not cert_type.validity_months:
        errors["validity_months"] = "A CE requirement needs a cycle: give the validity in months."
    minimums = cert_type.min_law_hours + cert_type.min_patient_safety_hours
    if minimums > cert_type.ce_hours_required or cert_type.min_technician_hours > cert_type.ce_hours_required:
        errors["ce_hours_required"] = "The topic and technician-specific minimums cannot exceed the total hours."
    if cert_type.requires_id and cert_type.pk and cert_type.requires_id == cert_type.pk:
        errors["requires"] = "A certification cannot require itself."
    if cert_type.upgrade_of_id and cert_type.pk and cert_type.upgrade_of_id == cert_type.pk:
        errors["upgrade_of"] = "A certification cannot upgrade itself."
    elif cert_type.upgrade_of_id and cert_type.upgrade_of.upgrade_of_id == cert_type.pk and cert_type.pk:
        errors["upgrade_of"] = f"{cert_type.upgrade_of.name} is an upgrade of this one already."
    law, safety = cert_type.reinstatement_law_hours, cert_type.reinstatement_patient_safety_hours
    if cert_type.reinstatement_months and law + safety > cert_type.reinstatement_hours:
        errors["reinstatement_hours"] = "The law and patient-safety hours cannot exceed the reinstatement total."
    if cert_type.reinstatement_months and not cert_type.reinstatement_hours:
        errors["reinstatement_hours"] = "Give the CE hours a reinstatement needs."
    if cert_type.min_compounding_hours + minimums > max(cert_type.ce_hours_required, cert_type.min_compounding_hours):
        errors["min_compounding_hours"] = "The topic minimums together cannot exceed the total hours."
    if errors:
        raise ApplicationError(errors=errors)


def _shown(value) -> str:
    """A rule's value as the history reads it: 5.00 -> "5", True -> "yes", None -> "none"."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format_hours(value)
    return str(value)


@transaction.atomic
def certification_type_create(**data) -> CertificationType:
    data["code"] = (data.get("code") or "").strip().upper()
    if CertificationType.objects.filter(code=data["code"]).exists():
        raise ApplicationError(f"A certification type with code {data['code']} exists already.", field="code")
    cert_type = CertificationType(**{k: v for k, v in data.items() if k in CERTIFICATION_TYPE_FIELDS})
    full_clean_fields(cert_type)
    _check_type(cert_type)
    cert_type.save()
    return cert_type


@transaction.atomic
def certification_type_update(
    *, certification_type: CertificationType, data: dict[str, Any], updated_by=None
) -> CertificationType:
    """Hr changes a type, its renewal rule included (organisation policy: PTCB has changed
    these numbers before). History keeps who changed what and when; every renewal progress
    follows at its next read, no release needed."""
    cert_type = CertificationType.objects.select_for_update().get(pk=certification_type.pk)
    if "code" in data and data["code"].strip().upper() != cert_type.code:
        raise ApplicationError("The code of a certification type never changes: other tools rely on it.", field="code")
    changes = []
    for name, value in data.items():
        if name in CERTIFICATION_TYPE_FIELDS and name != "code":
            if getattr(cert_type, name) != value:
                field = cert_type._meta.get_field(name)
                changes.append(f"{field.verbose_name}: {_shown(getattr(cert_type, name))} \u2192 {_shown(value)}")
            setattr(cert_type, name, value)
    full_clean_fields(cert_type)
    _check_type(cert_type)
    cert_type._history_user = updated_by
    cert_type._change_reason = "; ".join(changes) or "Saved without changes"
    cert_type.save()
    return cert_type


# --- Held certifications -------------------------------------------------------------------


def certification_dates_check(
    *, cert_type: CertificationType, issued_on: dt.date, expires_on: dt.date | None, today: dt.date
) -> tuple[dt.date | None, dict[str, str]]:
    """The date rules of a held certification, without a query (the HR import checks whole
    files with it): returns the expiry (the issue date plus the type's validity when none is
    given) and the errors by field."""
    errors: dict[str, str] = {}
    if issued_on > today:
        errors["issued_on"] = "The issue date cannot be in the future."
    if expires_on is None and cert_type.validity_months:
        expires_on = add_months(issued_on, cert_type.validity_months)
    if expires_on is None and cert_type.category == CertificationType.Category.STATE:
        errors["expires_on"] = "Give the expiry date printed on the registration; each state sets its own."
    if expires_on is not None and expires_on <= issued_on:
        errors["expires_on"] = "The expiry date must be after the issue date."
    return expires_on, errors


def certification_requirement_missing(*, cert_type: CertificationType, issued_on: dt.date) -> str:
    """What to say when ``cert_type`` needs another certification (CSPT needs CPhT) that was
    not active on ``issued_on``."""
    return (
        f"{cert_type.name} requires an active {cert_type.requires.name}: record the "
        f"{cert_type.requires.code} held on {format_day(issued_on)} first."
    )


def _same_cycle(expires_on: dt.date | None, base_expires_on: dt.date, validity_months: int | None) -> bool:
    """An upgrade keeps the cycle of the record it upgrades: it expires when that record does,
    or whole cycles later once it has renewed (the edit page records a renewal by moving the
    expiry date forward; the upgraded record keeps its own)."""
    if expires_on == base_expires_on:
        return True
    if expires_on is None or not validity_months or expires_on < base_expires_on:
        return False
    cycles = 1
    while (later := add_months(base_expires_on, cycles * validity_months)) <= expires_on:
        if later == expires_on:
            return True
        cycles += 1
    return False


def upgrade_errors(
    *,
    cert_type: CertificationType,
    number: str,
    expires_on: dt.date | None,
    base_code: str,
    base_number: str,
    base_expires_on: dt.date | None,
) -> dict[str, str]:
    """The rules of an upgrade (a CPhT-Adv) against the record it upgrades, without a query
    (the HR import checks whole files with it): the same number, the same cycle."""
    errors: dict[str, str] = {}
    if base_number and number and number != base_number:
        errors["number"] = (
            f"{cert_type.name} upgrades the {short_name(base_code)} and keeps its number ({base_number})."
        )
    if base_expires_on and not _same_cycle(expires_on, base_expires_on, cert_type.validity_months):
        errors["expires_on"] = (
            f"{cert_type.name} keeps the {short_name(base_code)}'s cycle: it expires "
            f"{format_day(base_expires_on)}, as the {short_name(base_code)} does."
        )
    return errors


def _check_certification(cert: Certification, *, today: dt.date) -> None:
    cert_type = cert.type
    cert.expires_on, errors = certification_dates_check(
        cert_type=cert_type, issued_on=cert.issued_on, expires_on=cert.expires_on, today=today
    )
    if cert_type.requires_id and "issued_on" not in errors:
        # An upgrade of the required credential counts as it (a CPhT-Adv is a CPhT).
        required = (
            Certification.objects.filter(
                technician_id=cert.technician_id,
                type__code__in=sorted(counts_as(cert_type.requires.code)),
                issued_on__lte=cert.issued_on,
            )
            .exclude(pk=cert.pk)
            .exclude(expires_on__lte=cert.issued_on)
            .exists()
        )
        if not required:
            errors["type"] = certification_requirement_missing(cert_type=cert_type, issued_on=cert.issued_on)
    if cert.upgraded_from_id:
        base = cert.upgraded_from
        errors.update(
            upgrade_errors(
                cert_type=cert_type,
                number=cert.number,
                expires_on=cert.expires_on,
                base_code=base.type.code,
                base_number=base.number,
                base_expires_on=base.expires_on,
            )
        )
    if cert.number:
        duplicate = Certification.objects.filter(
            technician_id=cert.technician_id, type_id=cert.type_id, number=cert.number, issued_on=cert.issued_on
        ).exclude(pk=cert.pk)
        if duplicate.exists():
            errors["number"] = "This certification is recorded already."
    if errors:
        raise ApplicationError(errors=errors)


@transaction.atomic
def certification_record(
    *,
    technician: Technician,
    type: CertificationType,  # noqa: A002 - the contract's field name
    issued_on: dt.date,
    expires_on: dt.date | None = None,
    number: str = "",
    evidence=None,
    recorded_by=None,
    today: dt.date | None = None,
) -> Certification:
    """Record a held certification. A manager of the site (or hr) records it verified; a
    technician's own entry is self-reported and stays unverified until a manager verifies it.
    ``expires_on`` defaults to the issue date plus the type's validity."""
    today = _today(today)
    cert = Certification(
        technician=technician,
        type=type,
        number=(number or "").strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        recorded_by=recorded_by,
    )
    if evidence:
        cert.evidence = prepare_evidence(evidence)
    _link_upgrade(cert)
    if recorded_by is not None and can_oversee(recorded_by, technician):
        cert.verified_at = timezone.now()
        cert.verified_by = recorded_by
        cert.self_reported = False
    else:
        cert.self_reported = True
    _check_certification(cert, today=today)
    cert._history_user = recorded_by
    cert.save()
    if cert.verified_at:
        credential_counted.send(sender=Certification, technician_ids=[technician.pk], today=today)
    return cert


def _link_upgrade(cert: Certification) -> None:
    """A new record of an upgrade type (CPhT-Adv) upgrades the technician's record of the
    credential it upgrades (their CPhT held on the upgrade's issue date, not upgraded yet): it
    takes that record's number and expiry date when they are not given (PTCB upgrades the same
    credential: same number, same cycle), and from then on only the upgrade renews. Without
    such a record (a renewal of the upgrade itself) nothing is linked."""
    upgrade_of = cert.type.upgrade_of_id
    if not upgrade_of or cert.upgraded_from_id:
        return
    # Locked: two upgrades recorded at once cannot both take it (one upgrade per record).
    base = (
        Certification.objects.select_for_update(of=("self",))
        .filter(
            technician_id=cert.technician_id,
            type_id=upgrade_of,
            issued_on__lte=cert.issued_on,
            upgraded_to__isnull=True,
        )
        .exclude(expires_on__lte=cert.issued_on)
        .select_related("type")
        .order_by("-issued_on", "-id")
        .first()
    )
    if base is None:
        return
    cert.upgraded_from = base
    if not cert.number:
        cert.number = base.number
    if cert.expires_on is None:
        cert.expires_on = base.expires_on


@transaction.atomic
def link_upgrades(*, technician_ids) -> int:
    """Link every record of an upgrade type (CPhT-Adv) of these technicians that names no
    upgraded record yet to the record it upgrades, by ``_link_upgrade``'s rule (bulk writers:
    the certification import). Returns how many were linked."""
    linked = 0
    pending = Certification.objects.filter(
        technician_id__in=list(technician_ids), type__upgrade_of__isnull=False, upgraded_from__isnull=True
    ).select_related("type")
    for cert in pending.order_by("issued_on", "id"):
        _link_upgrade(cert)
        if cert.upgraded_from_id:
            cert._change_reason = "Linked to the record it upgrades"
            cert.save(update_fields=["upgraded_from", "number", "expires_on", "updated_at"])
            linked += 1
    return linked


CERTIFICATION_EDITABLE = ("type", "number", "issued_on", "expires_on", "evidence")


def _locked_certification(certification: Certification) -> Certification:
    """The certification re-read under a row lock (its own row only: the type and the
    technician are read, not locked)."""
    return (
        Certification.objects.select_for_update(of=("self",))
        .select_related("type", "technician")
        .get(pk=certification.pk)
    )


def _check_may_change(cert: Certification, user, *, verb: str) -> None:
    """A technician changes or withdraws their own certification only while it is unverified;
    a manager of the site or hr changes any. ``cert`` is the locked row; without a ``user``
    the change is the system's, not a person's."""
    if user is None or can_change_certification(user, cert):
        return
    if is_own(user, cert.technician):
        raise PermissionDenied(f"A verified certification is {verb} by a manager of the site or HR.")
    raise PermissionDenied("You may not change this certification.")


def check_may_oversee(technician: Technician, user, message: str) -> None:
    """Verify, return, attest, extend, award: a manager of the technician's site or hr, never
    for their own record; checked on the locked row's technician."""
    if user is not None and not can_oversee(user, technician):
        raise PermissionDenied(message)


@transaction.atomic
def certification_update(
    *, certification: Certification, data: dict[str, Any], updated_by=None, today: dt.date | None = None
) -> Certification:
    """Correct or renew a record (a renewal moves ``expires_on`` forward; history keeps the old
    dates). A technician's correction of a returned record sends it back to the queue."""
    today = _today(today)
    cert = _locked_certification(certification)
    _check_may_change(cert, updated_by, verb="changed")
    for name, value in data.items():
        if name not in CERTIFICATION_EDITABLE:
            continue
        if name == "evidence":
            if value:
                cert.evidence = prepare_evidence(value)
            continue
        if name == "number":
            value = (value or "").strip()
        setattr(cert, name, value)
    if "expires_on" in data and data["expires_on"] is None:
        cert.expires_on = None
    if updated_by is None or not can_oversee(updated_by, cert.technician):
        cert.rejected_at = None
        cert.rejected_by = None
        cert.rejection_reason = ""
    _check_certification(cert, today=today)
    cert._history_user = updated_by
    cert.save()
    if cert.verified_at:
        credential_counted.send(sender=Certification, technician_ids=[cert.technician_id], today=today)
    return cert


@transaction.atomic
def certification_verify(*, certification: Certification, verified_by, today: dt.date | None = None) -> Certification:
    cert = _locked_certification(certification)
    check_may_oversee(
        cert.technician, verified_by, "Only a manager of the technician's site or HR verifies, never their own record."
    )
    if cert.verified_at is not None:
        raise ApplicationError("This certification is verified already.")
    cert.verified_at = timezone.now()
    cert.verified_by = verified_by
    cert.rejected_at = None
    cert.rejected_by = None
    cert.rejection_reason = ""
    cert._history_user = verified_by
    cert._change_reason = "Verified"
    cert.save()
    credential_counted.send(sender=Certification, technician_ids=[cert.technician_id], today=_today(today))
    return cert


@transaction.atomic
def certification_reject(*, certification: Certification, rejected_by, reason: str) -> Certification:
    """Return an unverified record to the technician with the reason (e.g. "number not found
    in PTCB's lookup"); it leaves the queue until the technician corrects it."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(errors={"reason": "Say why, so the technician can correct it."})
    cert = _locked_certification(certification)
    check_may_oversee(
        cert.technician, rejected_by, "Only a manager of the technician's site or HR returns a certification."
    )
    if cert.verified_at is not None:
        raise ApplicationError("A verified certification cannot be returned; correct it instead.")
    cert.rejected_at = timezone.now()
    cert.rejected_by = rejected_by
    cert.rejection_reason = reason[:500]
    cert._history_user = rejected_by
    cert._change_reason = "Returned to the technician"
    cert.save()
    return cert


@transaction.atomic
def certification_delete(*, certification: Certification, deleted_by=None) -> None:
    """Withdraw a record entered by mistake; its history stays for hr. A technician withdraws
    their own only while it is unverified (checked on the locked row)."""
    cert = _locked_certification(certification)
    _check_may_change(cert, deleted_by, verb="withdrawn")
    cert._history_user = deleted_by
    cert.delete()


# --- PTCB extensions -----------------------------------------------------------------------


@transaction.atomic
def ptcb_extension_grant(
    *, technician: Technician, extended_to: dt.date, reason: str, granted_by=None, today: dt.date | None = None
) -> PtcbExtension:
    """Move one technician's PTCB deadline to ``extended_to``. It must fall after the policy
    deadline (hire date + window); a later extension replaces an earlier one, which stays in
    the list, so a manager corrects a mistake by granting again."""
    today = _today(today)
    reason = (reason or "").strip()
    locked = Technician.objects.select_for_update().get(pk=technician.pk)
    check_may_oversee(
        locked,
        granted_by,
        "Only a manager of the technician's site or HR grants a PTCB extension, never for themselves.",
    )
    policy = policy_get()
    policy_deadline = ptcb_deadline(hire_date=locked.hire_date, window_months=policy.ptcb_window_months)
    errors = {}
    if not reason:
        errors["reason"] = "Give the reason for the extension."
    if extended_to <= policy_deadline:
        errors["extended_to"] = (
            f"An extension must move the deadline past {format_day(policy_deadline)} "
            f"(hire date + {policy.ptcb_window_months} months)."
        )
    elif extended_to < today:
        errors["extended_to"] = "An extension cannot end in the past."
    if locked.status == Technician.Status.TERMINATED:
        errors["technician"] = "This technician has left; their deadline no longer moves."
    if errors:
        raise ApplicationError(errors=errors)
    extension = PtcbExtension(
        technician=locked, extended_to=extended_to, reason=reason, granted_by=granted_by, granted_on=today
    )
    extension._history_user = granted_by
    extension.save()  # also stores the new deadline on the technician (PtcbExtension.save)
    technician.ptcb_extended_to = extended_to
    return extension


def ptcb_extensions_store_latest() -> int:
    """Store every technician's latest extension date on the technician
    (``Technician.ptcb_extended_to``) after extensions were written in bulk, where
    ``PtcbExtension.save`` and ``delete`` do not run (demo data, the benchmark generator, a
    ``QuerySet.delete``); a technician left with no extension gets none. One UPDATE; returns
    the number of technicians it wrote (those with an extension, and any whose last one went)."""
    latest = PtcbExtension.objects.filter(technician=OuterRef("pk")).order_by("-id").values("extended_to")[:1]
    has_extension = Exists(PtcbExtension.objects.filter(technician=OuterRef("pk")))
    stored = Technician.objects.filter(has_extension | Q(ptcb_extended_to__isnull=False)).update(
        ptcb_extended_to=Subquery(latest)
    )
    versions.touch_all()
    return stored


# --- Practice tests ------------------------------------------------------------------------


@transaction.atomic
def practice_test_record(
    *,
    technician: Technician,
    taken_on: dt.date,
    source: str,
    score,
    domain_scores,
    recorded_by=None,
    today: dt.date | None = None,
) -> PracticeTest:
    today = _today(today)
    errors: dict[str, Any] = {}
    if taken_on > today:
        errors["taken_on"] = "The date cannot be in the future."
    source = (source or "").strip()
    if not source:
        errors["source"] = "Say where the practice exam came from (e.g. Medical Hero)."
    try:
        score = clean_percent(score, label="Score")
    except ValueError as exc:
        errors["score"] = str(exc)
    try:
        domain_scores = clean_domain_scores(domain_scores)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ApplicationError(errors=errors)
    return PracticeTest.objects.create(
        technician=technician,
        taken_on=taken_on,
        source=source[:80],
        score=score,
        domain_scores=domain_scores,
        recorded_by=recorded_by,
    )


@transaction.atomic
def practice_test_delete(*, practice_test: PracticeTest) -> None:
    practice_test.delete()


# --- CE credits ------------------------------------------------------------------------------


def clean_ce_hours(hours) -> Decimal:
    """Contact hours of one CE activity: more than 0, at most ``MAX_CE_HOURS``, two decimals."""
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(errors={"hours": "Enter the contact hours, e.g. 1.5."}) from None
    if not value.is_finite() or value <= 0:
        raise ApplicationError(errors={"hours": "Contact hours must be more than 0."})
    if value > MAX_CE_HOURS:
        raise ApplicationError(errors={"hours": f"One activity gives at most {MAX_CE_HOURS:.0f} contact hours."})
    if value != value.quantize(Decimal("0.01")):
        raise ApplicationError(errors={"hours": "Use at most two decimals (e.g. 0.75)."})
    return value


# The topics a person logging CE without a UAN chooses from ("" general pharmacy).
NON_UAN_TOPICS = {
    "": "General pharmacy",
    **{code: TOPIC_NAMES[code] for code in (TOPIC_LAW, TOPIC_PATIENT_SAFETY, TOPIC_COMPOUNDING)},
}


@transaction.atomic
def ce_credit_record(
    *,
    technician: Technician,
    completed_on: dt.date,
    title: str,
    provider: str,
    uan: str = "",
    hours,
    source: str = CECredit.Source.ACPE,
    topic: str = "",
    evidence=None,
    recorded_by=None,
    today: dt.date | None = None,
) -> CECredit:
    """Log a CE credit. For ACPE CE the activity type, topic and audience come from the UAN.

    CE without a UAN (``source`` ``college`` or ``non_acpe``) needs its proof of completion
    (``evidence``) and counts only once a manager of the site or hr verifies it
    (``ce_credit_verify``); its ``topic`` is chosen from ``NON_UAN_TOPICS`` and it counts as
    technician-specific. A manager's own entry is verified at once, as for certificates."""
    today = _today(today)
    errors: dict[str, Any] = {}
    if source not in CECredit.Source.values:
        raise ApplicationError(f"'{source}' is not a kind of CE: use acpe, college or non_acpe.", field="source")
    if completed_on > today:
        errors["completed_on"] = "The completion date cannot be in the future."
    title, provider = (title or "").strip(), (provider or "").strip()
    if not title:
        errors["title"] = "Give the activity's title."
    if not provider:
        errors["provider"] = "Give the provider's name." if source != CECredit.Source.COLLEGE else "Give the college."
    parsed = None
    if source == CECredit.Source.ACPE:
        try:
            parsed = parse_uan(uan, completed_on=completed_on if "completed_on" not in errors else None)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if parsed and topic and topic != parsed.topic:
            errors["topic"] = f"The topic is read from the UAN ({parsed.topic}): leave it empty."
    else:
        if (uan or "").strip():
            errors["uan"] = "CE without an ACPE number has no UAN: choose ACPE-accredited to enter one."
        if topic not in NON_UAN_TOPICS:
            errors["topic"] = "Choose general pharmacy, pharmacy law, patient safety or compounding."
        if not evidence:
            errors["evidence"] = (
                "Attach the proof of completion (a certificate or transcript): CE without a UAN counts only when verified."
            )
    try:
        hours = clean_ce_hours(hours)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if parsed and CECredit.objects.filter(technician=technician, uan=parsed.number).exists():
        errors["uan"] = f"{parsed.number} is logged already: an activity counts once."
    if errors:
        raise ApplicationError(errors=errors)
    credit = CECredit(
        technician=technician,
        completed_on=completed_on,
        title=title[:200],
        provider=provider[:120],
        source=source,
        uan=parsed.number if parsed else "",
        activity_type=parsed.activity_type if parsed else "",
        topic=parsed.topic if parsed else topic,
        audience=parsed.audience if parsed else CECredit.Audience.TECHNICIAN,
        hours=hours,
        recorded_by=recorded_by,
    )
    if parsed is None and recorded_by is not None and can_oversee(recorded_by, technician):
        credit.verified_at = timezone.now()
        credit.verified_by = recorded_by
    if evidence:
        credit.evidence = prepare_evidence(evidence)
    credit._history_user = recorded_by
    try:
        with transaction.atomic():
            credit.save()
    except IntegrityError:
        raise ApplicationError(errors={"uan": f"{parsed.number} is logged already: an activity counts once."}) from None
    credential_counted.send(sender=CECredit, technician_ids=[technician.pk], today=today)
    return credit


@transaction.atomic
def ce_credit_verify(*, ce_credit: CECredit, verified_by, today: dt.date | None = None) -> CECredit:
    """A manager of the site (or hr) has checked the proof of a CE credit without a UAN: from
    now on it counts toward the renewal rule. Never one's own."""
    credit = CECredit.objects.select_for_update(of=("self",)).select_related("technician").get(pk=ce_credit.pk)
    check_may_oversee(
        credit.technician, verified_by, "Only a manager of the technician's site or HR verifies CE, never their own."
    )
    if not credit.needs_verification:
        raise ApplicationError("ACPE CE with a UAN needs no verification here: CPE Monitor holds it.")
    if credit.verified_at is not None:
        raise ApplicationError("This CE credit is verified already.")
    if not credit.evidence:
        raise ApplicationError("There is no proof of completion to verify: ask the technician to attach it.")
    credit.verified_at = timezone.now()
    credit.verified_by = verified_by
    credit._history_user = verified_by
    credit._change_reason = "Verified"
    credit.save()
    credential_counted.send(sender=CECredit, technician_ids=[credit.technician_id], today=_today(today))
    return credit


@transaction.atomic
def ce_credit_delete(*, ce_credit: CECredit, deleted_by=None) -> None:
    ce_credit._history_user = deleted_by
    ce_credit.delete()


# --- CSPT attestations ------------------------------------------------------------------------


@transaction.atomic
def attestation_record(
    *,
    certification: Certification,
    attested_on: dt.date,
    supervisor_name: str,
    supervisor_title: str = "",
    supervisor_qualification: str = "",
    notes: str = "",
    evidence=None,
    recorded_by=None,
    today: dt.date | None = None,
) -> Attestation:
    """Record the supervisor's yearly competency attestation of a CSPT (or any type whose
    renewal asks for one), with what qualifies the supervisor to attest (PTCB asks for a
    qualified supervisor: e.g. "Pharmacist, USP <797> designated person, RPh 12345"), which
    a surveyor reads on the record."""
    today = _today(today)
    certification = _locked_certification(certification)
    check_may_oversee(
        certification.technician,
        recorded_by,
        "Only a manager of the technician's site or HR records a supervisor's attestation.",
    )
    errors = {}
    if not certification.type.requires_attestation:
        errors["certification"] = f"{certification.type.name} does not renew with an attestation."
    if attested_on > today:
        errors["attested_on"] = "The attestation date cannot be in the future."
    elif attested_on < certification.issued_on:
        errors["attested_on"] = "The attestation cannot predate the certification."
    supervisor_name = (supervisor_name or "").strip()
    if not supervisor_name:
        errors["supervisor_name"] = "Give the name of the supervisor who signed."
    supervisor_qualification = (supervisor_qualification or "").strip()
    if not supervisor_qualification:
        errors["supervisor_qualification"] = (
            "Say what qualifies the supervisor to attest (e.g. pharmacist, USP <797> designated person, licence number)."
        )
    if errors:
        raise ApplicationError(errors=errors)
    attestation = Attestation(
        certification=certification,
        attested_on=attested_on,
        supervisor_name=supervisor_name[:120],
        supervisor_title=(supervisor_title or "").strip()[:120],
        supervisor_qualification=supervisor_qualification[:200],
        notes=(notes or "").strip(),
        recorded_by=recorded_by,
    )
    if evidence:
        attestation.evidence = prepare_evidence(evidence)
    attestation._history_user = recorded_by
    attestation.save()
    return attestation


# --- Incentives -------------------------------------------------------------------------------
