"""Imports of held certifications and CE credits from the HR system (or the learning system).

The same all-or-nothing frame as the technicians import (``imports.technicians``): the file
is read and every row validated in a fixed number of queries; any error and nothing is
written; otherwise everything is written in one transaction, with history rows carrying the
importing user. The record rules are the services' own (``certification_dates_check``,
``certification_requirement_missing``, ``clean_ce_hours``, ``certifications.acpe.parse_uan``),
applied to the whole file at once.

Certifications (``CERTIFICATION_COLUMNS``): ``employee_id``, ``type`` (a certification type
code such as ``CPHT``), ``number`` (optional), ``issued_on``, ``expires_on`` (optional: the
issue date plus the type's validity; required for state registrations). Upserted by
technician + type + issue date: an existing record with those gets the file's number and
expiry (a renewal keeps its own issue date, so it is a new record). Records are entered by hr
from the HR system, so new ones are verified by the importing user, as when hr records one
by hand. A certification that needs another (CSPT needs an active CPhT on its issue date) is
checked against the records already held and the rows of the same file. An upgrade (CPhT-Adv)
takes the number and expiry of the record it upgrades when the file gives none, and must keep
them otherwise (``_plan_upgrades``).

CE credits (``CE_CREDIT_COLUMNS``): ``employee_id``, ``completed_on``, ``title``, ``provider``,
``uan``, ``hours``. Activity type, topic and audience are read from the UAN; a UAN the ACPE
format does not allow is refused with the parser's message. Upserted by technician + UAN
(CPE Monitor accepts an activity once per person): an existing credit gets the file's date,
title, provider and hours.

After the commit: the incentive triggers of the technicians concerned are checked (a CPhT
within the window, a completed CE cycle), and, when CPhT records changed, the KPI snapshots
(PTCB on-time rate) from the earliest issue date that changed. CE credits feed no KPI.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from certifications.acpe import parse_uan
from certifications.models import CECredit, Certification, CertificationType
from certifications.selectors import CPHT, counts_as
from certifications.services import (
    certification_dates_check,
    certification_requirement_missing,
    clean_ce_hours,
    link_upgrades,
    upgrade_errors,
)
from imports.framework import (
    BulkWriter,
    Columns,
    ImportResult,
    RowError,
    RowReader,
    Table,
    attnames,
    history_reason,
    incentives_after_import,
    kpi_recompute_after_import,
    load_in,
    max_length,
    record_run,
    run_import,
    shorten,
    technician_records,
    validation_messages,
)
from imports.models import ImportRun

CERTIFICATION_COLUMNS = Columns(
    required=("employee_id", "type", "issued_on"),
    optional=("number", "expires_on"),
    template=("employee_id", "type", "number", "issued_on", "expires_on"),
)
CE_CREDIT_COLUMNS = Columns(required=("employee_id", "completed_on", "title", "provider", "uan", "hours"))
TECHNICIAN_KEYS = ("id", "employee_id", "site_id")


def _technicians(table: Table) -> dict[str, dict]:
    return technician_records((values.get("employee_id", "") for _, values in table.rows), fields=TECHNICIAN_KEYS)


def _technician(r: RowReader, technicians: dict) -> dict | None:
    employee_id = r.text("employee_id", required=True)
    tech = technicians.get(employee_id)
    if employee_id and tech is None:
        r.error(
            "employee_id",
            f"employee_id '{shorten(employee_id)}' is not a known technician; import the technician first.",
        )
    return tech


# ---------------------------------------------------------------------------------------------
# Certifications
# ---------------------------------------------------------------------------------------------


@dataclass
class _CertificationRow:
    row: int
    technician: dict
    type: CertificationType
    number: str
    issued_on: dt.date
    expires_on: dt.date | None
    expires_given: bool = True


def _plan_upgrades(rows: list[_CertificationRow], held: list[dict], errors: list[RowError]) -> None:
    """A row of an upgrade type (CPhT-Adv) upgrades the technician's record of the credential
    it upgrades, held or in this file, by ``link_upgrades``' rule (issued on or before it, not
    expired on its issue date, not upgraded yet; the latest): it takes that record's number and
    expiry when the file gives none, and otherwise must keep them, as ``certification_record``
    asks (``upgrade_errors``)."""
    if not any(row.type.upgrade_of_id for row in rows):
        return
    codes = dict(CertificationType.objects.values_list("pk", "code"))
    held_by_id = {c["id"]: c for c in held}
    upgraded = {c["upgraded_from_id"] for c in held if c["upgraded_from_id"]}
    # (technician, type id) -> [(sort key, number, expires_on)]
    bases: dict[tuple, list] = defaultdict(list)
    for c in held:
        if c["id"] not in upgraded:
            key = (c["issued_on"], 0, c["id"])
            bases[(c["technician_id"], c["type_id"])].append((key, c["issued_on"], c["number"], c["expires_on"]))
    for row in rows:
        key = (row.issued_on, 1, row.row)
        bases[(row.technician["id"], row.type.pk)].append((key, row.issued_on, row.number, row.expires_on))
    existing = {(c["technician_id"], c["type_id"], c["issued_on"]): c for c in held}
    for row in rows:
        upgrade_of = row.type.upgrade_of_id
        if not upgrade_of:
            continue
        linked = existing.get((row.technician["id"], row.type.pk, row.issued_on), {}).get("upgraded_from_id")
        if linked in held_by_id:
            base = held_by_id[linked]
            found = (base["number"], base["expires_on"])
        else:
            candidates = [
                (key, number, expires_on)
                for key, issued_on, number, expires_on in bases.get((row.technician["id"], upgrade_of), [])
                if issued_on <= row.issued_on and (expires_on is None or expires_on > row.issued_on)
            ]
            found = max(candidates)[1:] if candidates else None
        if found is None:
            continue
        base_number, base_expires_on = found
        if not row.expires_given and base_expires_on is not None:
            row.expires_on = base_expires_on
        if not row.number:
            row.number = base_number
        problems = upgrade_errors(
            cert_type=row.type,
            number=row.number,
            expires_on=row.expires_on,
            base_code=codes[upgrade_of],
            base_number=base_number,
            base_expires_on=base_expires_on,
        )
        for name, message in problems.items():
            errors.append(RowError(row.row, name, message))


def certifications_import(*, upload, user, dry_run: bool = False, today: dt.date | None = None) -> ImportResult:
    """Validate a certifications file and, unless ``dry_run`` or any row is invalid, apply it."""
    today = today or timezone.localdate()
    return run_import(
        upload=upload,
        columns=CERTIFICATION_COLUMNS,
        kind=ImportRun.Kind.CERTIFICATIONS,
        dry_run=dry_run,
        plan=lambda table, result: _plan_certifications(table, result, user=user, today=today),
    )


def _plan_certifications(table: Table, result: ImportResult, *, user, today: dt.date):
    errors = result.errors
    technicians = _technicians(table)
    types = {t.code: t for t in CertificationType.objects.select_related("requires")}
    type_codes = ", ".join(sorted(types))
    held = load_in(
        Certification.objects.order_by().values(*attnames(Certification)),
        "technician_id",
        [t["id"] for t in technicians.values()],
        for_update=not result.dry_run,
    )
    by_key = {(c["technician_id"], c["type_id"], c["issued_on"]): c for c in held}
    number_length = max_length(Certification, "number")

    rows: list[_CertificationRow] = []
    first_row: dict[tuple, int] = {}
    for number, values in table.rows:
        r = RowReader(number, values, errors)
        tech = _technician(r, technicians)
        code = r.text("type", required=True)
        cert_type = types.get(code.upper())
        if code and cert_type is None:
            r.error("type", f"type '{shorten(code)}' is not a certification type; use one of {type_codes}.")
        cert_number = r.text("number", max_length=number_length)
        issued_on = r.date("issued_on", required=True)
        expires_on = r.date("expires_on")
        if r.failed:
            continue
        expires_given = expires_on is not None
        expires_on, date_errors = certification_dates_check(
            cert_type=cert_type, issued_on=issued_on, expires_on=expires_on, today=today
        )
        for name, message in date_errors.items():
            given = r.raw(name)
            r.error(name, f"{message.rstrip('.')} ({name} '{given}')." if given else message)
        key = (tech["id"], cert_type.pk, issued_on)
        if key in first_row:
            r.error(
                "issued_on",
                f"{cert_type.code} issued {issued_on:%Y-%m-%d} for employee_id '{tech['employee_id']}' appears again; "
                f"it is first on row {first_row[key]}.",
            )
        first_row.setdefault(key, number)
        if r.failed:
            continue
        rows.append(_CertificationRow(number, tech, cert_type, cert_number, issued_on, expires_on, expires_given))

    _plan_upgrades(rows, held, errors)

    # A certification that needs another (CSPT needs CPhT): held already or in this file, and
    # active on the issue date, as ``certification_record`` asks.
    # An upgrade counts as the credential it upgrades (a CPhT-Adv is a CPhT).
    spans = defaultdict(list)  # (technician, type id) -> [(issued_on, expires_on)]
    for c in held:
        spans[(c["technician_id"], c["type_id"])].append((c["issued_on"], c["expires_on"]))
    for row in rows:
        spans[(row.technician["id"], row.type.pk)].append((row.issued_on, row.expires_on))
    type_ids = dict(CertificationType.objects.values_list("code", "pk"))
    for row in rows:
        if not row.type.requires_id:
            continue
        counting = [type_ids[code] for code in counts_as(row.type.requires.code) if code in type_ids]
        required = [span for type_id in counting for span in spans.get((row.technician["id"], type_id), [])]
        if not any(start <= row.issued_on and (end is None or end > row.issued_on) for start, end in required):
            message = certification_requirement_missing(cert_type=row.type, issued_on=row.issued_on)
            errors.append(RowError(row.row, "type", message))
    if errors:
        return None

    now = timezone.now()
    to_create: list[dict] = []
    to_update: list[dict] = []
    changed_rows: list[_CertificationRow] = []
    for row in rows:
        existing = by_key.get((row.technician["id"], row.type.pk, row.issued_on))
        sample = {
            "row": row.row,
            "employee_id": row.technician["employee_id"],
            "type": row.type.code,
            "number": row.number,
            "issued_on": row.issued_on,
            "expires_on": row.expires_on,
        }
        if existing is None:
            result.created += 1
            result.sample("created", lambda sample=sample: sample)
            to_create.append(
                {
                    "technician_id": row.technician["id"],
                    "type_id": row.type.pk,
                    "number": row.number,
                    "issued_on": row.issued_on,
                    "expires_on": row.expires_on,
                    "self_reported": False,
                    "verified_at": now,
                    "verified_by_id": user.pk,
                    "recorded_by_id": user.pk,
                }
            )
        elif (existing["number"], existing["expires_on"]) != (row.number, row.expires_on):
            result.updated += 1
            result.sample("updated", lambda sample=sample: sample)
            existing["number"], existing["expires_on"] = row.number, row.expires_on
            to_update.append(existing)
        else:
            result.unchanged += 1
            continue
        changed_rows.append(row)

    def apply() -> None:
        writer = BulkWriter(user=user, reason=history_reason(result.file_name), now=now)
        writer.insert(Certification, to_create)
        writer.update(Certification, to_update, ["number", "expires_on"])
        link_upgrades(technician_ids={row.technician["id"] for row in changed_rows})
        record_run(result, user=user)
        incentives_after_import(row.technician["id"] for row in changed_rows)
        cpht = [row for row in changed_rows if row.type.code in counts_as(CPHT)]
        if cpht:  # the PTCB on-time rate counts CPhT certificates
            kpi_recompute_after_import(
                earliest=min(row.issued_on for row in cpht),
                site_ids={row.technician["site_id"] for row in cpht},
                today=today,
            )

    return apply


# ---------------------------------------------------------------------------------------------
# CE credits
# ---------------------------------------------------------------------------------------------

CE_UPDATE_FIELDS = ["completed_on", "title", "provider", "hours"]


def ce_credits_import(*, upload, user, dry_run: bool = False, today: dt.date | None = None) -> ImportResult:
    """Validate a CE credits file and, unless ``dry_run`` or any row is invalid, apply it."""
    today = today or timezone.localdate()
    return run_import(
        upload=upload,
        columns=CE_CREDIT_COLUMNS,
        kind=ImportRun.Kind.CE_CREDITS,
        dry_run=dry_run,
        plan=lambda table, result: _plan_ce_credits(table, result, user=user, today=today),
    )


def _plan_ce_credits(table: Table, result: ImportResult, *, user, today: dt.date):
    errors = result.errors
    technicians = _technicians(table)
    logged = {
        (c["technician_id"], c["uan"]): c
        for c in load_in(
            CECredit.objects.order_by().values(*attnames(CECredit)),
            "technician_id",
            [t["id"] for t in technicians.values()],
            for_update=not result.dry_run,
        )
    }
    lengths = {name: max_length(CECredit, name) for name in ("title", "provider")}
    to_create: list[dict] = []
    to_update: list[dict] = []
    first_row: dict[tuple, int] = {}
    for number, values in table.rows:
        r = RowReader(number, values, errors)
        tech = _technician(r, technicians)
        completed_on = r.date("completed_on", required=True, not_after=today)
        title = r.text("title", required=True, max_length=lengths["title"])
        provider = r.text("provider", required=True, max_length=lengths["provider"])
        raw_uan = r.text("uan", required=True)
        raw_hours = r.text("hours", required=True)
        hours: Decimal | None = None
        if raw_hours:
            try:
                hours = clean_ce_hours(raw_hours)
            except ValidationError as exc:
                for _, message in validation_messages(exc):
                    r.error("hours", f"hours '{shorten(raw_hours)}': {message}")
        uan = None
        if raw_uan:
            try:
                uan = parse_uan(raw_uan, completed_on=completed_on)
            except ValidationError as exc:
                for _, message in validation_messages(exc):
                    r.error("uan", message)
        if r.failed:
            continue
        key = (tech["id"], uan.number)
        if key in first_row:
            r.error(
                "uan",
                f"{uan.number} for employee_id '{tech['employee_id']}' appears again; it is first on row "
                f"{first_row[key]} (an activity counts once).",
            )
            continue
        first_row[key] = number
        fields = {"completed_on": completed_on, "title": title, "provider": provider, "hours": hours}
        sample = {
            "row": number,
            "employee_id": tech["employee_id"],
            "uan": uan.number,
            "title": title,
            "completed_on": completed_on,
            "hours": hours,
        }
        existing = logged.get(key)
        if existing is None:
            result.created += 1
            result.sample("created", lambda sample=sample: sample)
            to_create.append(
                {
                    "technician_id": tech["id"],
                    "uan": uan.number,
                    "activity_type": uan.activity_type,
                    "topic": uan.topic,
                    "audience": uan.audience,
                    "recorded_by_id": user.pk,
                    **fields,
                }
            )
        elif any(existing[name] != value for name, value in fields.items()):
            result.updated += 1
            result.sample("updated", lambda sample=sample: sample)
            existing.update(fields)
            to_update.append(existing)
        else:
            result.unchanged += 1
    if errors:
        return None

    def apply() -> None:
        writer = BulkWriter(user=user, reason=history_reason(result.file_name))
        writer.insert(CECredit, to_create)
        writer.update(CECredit, to_update, CE_UPDATE_FIELDS)
        record_run(result, user=user)
        incentives_after_import(row["technician_id"] for row in to_create + to_update)

    return apply
