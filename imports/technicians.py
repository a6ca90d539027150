"""The technicians file (``TECHNICIAN_COLUMNS``), upserted by ``employee_id``:

- required columns: ``employee_id``, ``first_name``, ``last_name``, ``site_code``, ``hire_date``;
- optional columns: ``email``, ``tier``, ``status``, ``termination_date``,
  ``termination_type`` and ``tier_effective_date``. A column that is absent leaves that field
  of an existing technician alone; an empty cell in a present column clears it (``email``,
  ``termination_*``) or takes the default below.
- ``tier`` (a tier code): a new technician starts in it (default ``TECH1``) from the hire date;
  for an existing one a different tier closes the current assignment and opens a new one
  (reason promotion or demotion by rank) on ``tier_effective_date``, or today when that cell
  is empty. An empty ``tier`` leaves an existing technician's tier alone.
- ``status``: ``active``, ``leave`` or ``terminated`` (the labels "On leave" etc. are accepted
  too). Empty: ``terminated`` when a termination date is given, otherwise the technician's
  current status (``active`` for a new one).
- Separations follow ``technicians.services`` exactly (``technician_apply_changes`` and
  ``technician_check_separation``): status, termination date and type go together, the date
  not before the hire date; reinstating clears them. A technician who becomes terminated
  counts as a separation (a new technician imported already terminated too) and any login of
  theirs stops working, as when a manager records it.
- Dates are ``YYYY-MM-DD`` (XLSX date cells are read as dates). Hire dates, tier effective
  dates cannot be in the future.

Counts returned: ``created``, ``updated`` (any field, tier or separation changed), ``unchanged``,
``tier_changes`` (new assignments of existing technicians) and ``separations``.

The reading, validating and writing shared by every import is ``imports.framework``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from imports.framework import (
    BulkWriter,
    Columns,
    ImportResult,
    RowError,
    RowReader,
    Table,
    attnames,
    check_email,
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
from technicians import services
from technicians.models import Site, Technician
from tiers import services as tiers_services
from tiers.models import Tier, TierAssignment

# ---------------------------------------------------------------------------------------------
# Results and errors
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Reading cells: typed values and messages that name the row, the column and the value
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Set-based reads shared by the imports
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Writing in bulk, with the audit history
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The frame every import shares
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Technicians
# ---------------------------------------------------------------------------------------------

TECHNICIAN_COLUMNS = Columns(
    required=("employee_id", "first_name", "last_name", "site_code", "hire_date"),
    optional=("email", "tier", "status", "termination_date", "termination_type", "tier_effective_date"),
    template=(
        "employee_id",
        "first_name",
        "last_name",
        "email",
        "site_code",
        "hire_date",
        "tier",
        "status",
        "termination_date",
        "termination_type",
    ),
)
# Columns of a technician the file sets (``site_id`` by its code): what "updated" compares.
TECHNICIAN_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "site_id",
    "hire_date",
    "status",
    "termination_date",
    "termination_type",
]
NEW_TECHNICIAN = {
    "id": None,
    "email": "",
    "status": Technician.Status.ACTIVE,
    "termination_date": None,
    "termination_type": "",
    "exit_reason": "",
    "exit_notes": "",
    "would_rehire": None,
    "mentor_id": None,
}
# A service's field name -> the file's column.
FIELD_COLUMN = {"site": "site_code", "site_id": "site_code"}


@dataclass
class _TechnicianChange:
    row: int
    record: dict  # the technician's columns after the change
    before: dict | None  # before it (None: a new technician)
    tier: Tier | None
    tier_effective: dt.date | None
    changed: list[str] = field(default_factory=list)
    opened: dict | None = None  # a new tier assignment: the hire one, or a change
    closed: dict | None = None  # the open assignment the change closes
    moved_first: dict | None = None  # the first assignment, moved to a new hire date
    tier_before: str = ""

    @property
    def new(self) -> bool:
        return self.before is None

    @property
    def name(self) -> str:
        return f"{self.record['first_name']} {self.record['last_name']}"


def technicians_import(*, upload, user, dry_run: bool = False, today: dt.date | None = None) -> ImportResult:
    """Validate a technicians file from the HR system and, unless ``dry_run`` or any row is
    invalid, apply all of it (see the module's docstring for the columns and rules)."""
    today = today or timezone.localdate()
    return run_import(
        upload=upload,
        columns=TECHNICIAN_COLUMNS,
        kind=ImportRun.Kind.TECHNICIANS,
        dry_run=dry_run,
        plan=lambda table, result: _plan_technicians(table, result, user=user, today=today),
    )


def _plan_technicians(table: Table, result: ImportResult, *, user, today: dt.date):
    errors = result.errors
    applying = not result.dry_run
    site_codes = {values.get("site_code", "").upper() for _, values in table.rows}
    sites = {
        s["code"]: s["id"] for s in load_in(Site.objects.order_by().values("id", "code"), "code", site_codes - {""})
    }
    tiers = {t.code: t for t in Tier.objects.order_by("rank")}
    tier_codes = ", ".join(tiers)
    existing = technician_records((values.get("employee_id", "") for _, values in table.rows), for_update=applying)
    lengths = {name: max_length(Technician, name) for name in ("employee_id", "first_name", "last_name", "email")}

    changes: list[_TechnicianChange] = []
    first_row: dict[str, int] = {}
    for number, values in table.rows:
        r = RowReader(number, values, errors)
        employee_id = r.text("employee_id", required=True, max_length=lengths["employee_id"])
        if employee_id in first_row:
            r.error(
                "employee_id",
                f"employee_id '{shorten(employee_id)}' appears again; it is first on row {first_row[employee_id]}.",
            )
        elif employee_id:
            first_row[employee_id] = number
        data: dict[str, Any] = {
            "first_name": r.text("first_name", required=True, max_length=lengths["first_name"]),
            "last_name": r.text("last_name", required=True, max_length=lengths["last_name"]),
        }
        if table.has("email"):
            data["email"] = r.text("email", max_length=lengths["email"], validator=check_email)
        code = r.text("site_code", required=True)
        data["site_id"] = sites.get(code.upper())
        if code and data["site_id"] is None:
            r.error("site_code", f"site_code '{shorten(code)}' is not a known site.")
        data["hire_date"] = r.date("hire_date", required=True)
        if data["hire_date"] and data["hire_date"] > today:
            r.error(
                "hire_date",
                f"hire_date {data['hire_date']:%Y-%m-%d} is in the future; import technicians once they are hired.",
            )
        tier = None
        tier_code = r.text("tier")
        if tier_code:
            tier = tiers.get(tier_code.upper())
            if tier is None:
                r.error("tier", f"tier '{shorten(tier_code)}' is not a tier; use one of {tier_codes}.")
        tier_effective = r.date("tier_effective_date", not_after=today)
        if tier_effective and not tier_code:
            r.error(
                "tier_effective_date", "tier_effective_date is given but tier is empty: say which tier starts then."
            )
        status = r.choice("status", Technician.Status)
        termination_date = r.date("termination_date")
        termination_type = r.choice("termination_type", Technician.TerminationType)
        if r.failed:
            continue

        before = existing.get(employee_id)
        if status:
            data["status"] = status
        elif termination_date:
            data["status"] = Technician.Status.TERMINATED
        if table.has("termination_date"):
            data["termination_date"] = termination_date
        if table.has("termination_type"):
            data["termination_type"] = termination_type
        # The separation rules are the service's, applied to a stand-in for the technician.
        candidate = SimpleNamespace(**(before or {**NEW_TECHNICIAN, "employee_id": employee_id}))
        candidate.pk = candidate.id
        services.technician_apply_changes(technician=candidate, data=data)
        try:
            services.technician_check_separation(technician=candidate)
        except ValidationError as exc:
            for name, message in validation_messages(exc):
                column = FIELD_COLUMN.get(name, name) or "status"
                given = r.raw(column)
                r.error(column, f"{message.rstrip('.')} ({column} '{shorten(given)}')." if given else message)
            continue
        record = vars(candidate)
        del record["pk"]
        change = _TechnicianChange(row=number, record=record, before=before, tier=tier, tier_effective=tier_effective)
        if before is not None:
            change.changed = [name for name in TECHNICIAN_FIELDS if record[name] != before[name]]
        changes.append(change)

    _plan_tier_history(changes, errors=errors, tiers=tiers, user=user, today=today, lock=applying)
    if errors:
        return None
    _count_technician_changes(changes, result, site_codes={v: k for k, v in sites.items()})
    return lambda: _apply_technicians(changes, result, user=user, today=today)


def _plan_tier_history(changes: list[_TechnicianChange], *, errors, tiers: dict[str, Tier], user, today, lock) -> None:
    """New technicians' hire assignment; for existing ones the tier change and the move of the
    first assignment when the hire date changes (the rules of ``technician_update`` and
    ``tier_assignment_start``)."""
    tiers_by_id = {t.pk: t for t in tiers.values()}
    default_tier = tiers.get("TECH1") or next(iter(tiers.values()), None)
    fields = attnames(TierAssignment)
    existing = [c for c in changes if not c.new]
    wanted = [c.record["id"] for c in existing if c.tier is not None or "hire_date" in c.changed]
    assignments: dict[int, dict] = {}  # id -> row, so that one assignment is one dict
    open_by_tech: dict[int, dict] = {}
    open_rows = TierAssignment.objects.order_by().filter(end_date__isnull=True).values(*fields)
    for a in load_in(open_rows, "technician_id", wanted, for_update=lock):
        assignments[a["id"]] = a
        open_by_tech[a["technician_id"]] = a
    first_by_tech: dict[int, dict] = {}
    moved_hire = [c.record["id"] for c in existing if "hire_date" in c.changed]
    if moved_hire:
        rows = load_in(TierAssignment.objects.order_by().values(*fields), "technician_id", moved_hire, for_update=lock)
        for a in sorted(rows, key=lambda a: (a["technician_id"], a["start_date"])):
            first_by_tech.setdefault(a["technician_id"], assignments.setdefault(a["id"], a))

    def assignment(tier: Tier, start: dt.date, reason: str, technician_id=None) -> dict:
        return {
            "technician_id": technician_id,
            "tier_id": tier.pk,
            "start_date": start,
            "end_date": None,
            "reason": reason,
            "note": "HR import",
            "recorded_by_id": user.pk if user else None,
        }

    for change in changes:
        tech = change.record
        if change.new:
            change.tier = change.tier or default_tier
            change.opened = assignment(change.tier, tech["hire_date"], TierAssignment.Reason.HIRE)
            continue
        current = open_by_tech.get(tech["id"])
        if "hire_date" in change.changed:
            first = first_by_tech.get(tech["id"])
            stand_in = SimpleNamespace(**first) if first else None
            try:
                if tiers_services.hire_assignment_follows(first_assignment=stand_in, hire_date=tech["hire_date"]):
                    first["start_date"] = stand_in.start_date
                    change.moved_first = first
            except ValidationError as exc:
                for _, message in validation_messages(exc):
                    errors.append(
                        RowError(change.row, "hire_date", f"{message} (hire_date {tech['hire_date']:%Y-%m-%d})")
                    )
                continue
        if change.tier is None or (current is not None and current["tier_id"] == change.tier.pk):
            continue
        target = change.tier
        start = change.tier_effective or today
        column = "tier_effective_date" if change.tier_effective else "tier"
        problem = None
        found = tiers_services.tier_start_problem(
            start=start,
            current_start=current["start_date"] if current is not None else None,
            hire_date=tech["hire_date"],
            termination_date=tech["termination_date"],
        )
        if found == tiers_services.TierStart.NOT_AFTER_CURRENT:
            problem = (
                f"The change to {target.code} on {start:%Y-%m-%d} must start after {current['start_date']:%Y-%m-%d}, "
                f"when the current tier ({tiers_by_id[current['tier_id']].code}) began."
            )
        elif found == tiers_services.TierStart.BEFORE_HIRE:
            problem = f"The change to {target.code} on {start:%Y-%m-%d} is before the hire date."
        elif found == tiers_services.TierStart.NOT_BEFORE_TERMINATION:
            problem = (
                f"The change to {target.code} on {start:%Y-%m-%d} is not before the termination date "
                f"{tech['termination_date']:%Y-%m-%d}."
            )
        if problem:
            errors.append(RowError(change.row, column, problem))
            continue
        if current is None:
            reason = TierAssignment.Reason.HIRE
        else:
            previous = tiers_by_id[current["tier_id"]]
            reason = TierAssignment.Reason.PROMOTION if target.rank > previous.rank else TierAssignment.Reason.DEMOTION
            current["end_date"] = start
            change.closed = current
            change.tier_before = previous.code
        change.opened = assignment(target, start, reason, technician_id=tech["id"])


def _count_technician_changes(changes: list[_TechnicianChange], result: ImportResult, *, site_codes: dict) -> None:
    terminated = Technician.Status.TERMINATED
    for change in changes:
        tech = change.record

        def common(change=change, tech=tech) -> dict:
            return {"row": change.row, "employee_id": tech["employee_id"], "name": change.name}

        if tech["status"] == terminated and (change.new or change.before["status"] != terminated):
            result.separations += 1
            result.sample(
                "separations",
                lambda common=common, tech=tech: {
                    **common(),
                    "termination_date": tech["termination_date"],
                    "termination_type": Technician.TerminationType(tech["termination_type"]).label,
                },
            )
        if change.new:
            result.created += 1
            result.sample(
                "created",
                lambda common=common, tech=tech, change=change: {
                    **common(),
                    "site": site_codes.get(tech["site_id"], ""),
                    "hire_date": tech["hire_date"],
                    "tier": change.tier.code,
                },
            )
            continue
        if change.opened:
            result.tier_changes += 1
            result.sample(
                "tier_changes",
                lambda common=common, change=change: {
                    **common(),
                    "from": change.tier_before,
                    "to": change.tier.code,
                    "effective": change.opened["start_date"],
                },
            )
        if change.changed or change.opened or change.moved_first:
            result.updated += 1
            result.sample(
                "updated", lambda common=common, change=change: {**common(), "changes": _described(change, site_codes)}
            )
        else:
            result.unchanged += 1


def _described(change: _TechnicianChange, site_codes: dict) -> list[str]:
    """``["last_name: Baker → Baker-Smith", "tier: TECH1 → TECH2"]``."""
    lines = []
    for name in change.changed:
        if name == "site_id":
            lines.append(
                f"site: {site_codes.get(change.before[name], '—')} → {site_codes.get(change.record[name], '—')}"
            )
        else:
            lines.append(f"{name}: {_display(change.before[name])} → {_display(change.record[name])}")
    if change.opened:
        lines.append(f"tier: {change.tier_before or '—'} → {change.tier.code}")
    return lines


def _display(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _apply_technicians(changes: list[_TechnicianChange], result: ImportResult, *, user, today: dt.date) -> None:
    """Write the planned changes: a few bulk statements, each with its history rows."""
    writer = BulkWriter(user=user, reason=history_reason(result.file_name))
    writer.insert(Technician, [c.record for c in changes if c.new])
    writer.update(Technician, [c.record for c in changes if not c.new and c.changed], TECHNICIAN_FIELDS)
    # Close (and move) assignments before opening new ones: one open assignment per technician.
    closing = {}
    for change in changes:
        for row in (change.moved_first, change.closed):
            if row is not None:
                closing[row["id"]] = row
    writer.update(TierAssignment, list(closing.values()), ["start_date", "end_date"])
    opened = []
    for change in changes:
        if change.opened is not None:
            change.opened["technician_id"] = change.record["id"]  # new technicians have theirs now
            opened.append(change.opened)
    writer.insert(TierAssignment, opened)
    separated = [
        c.record["id"]
        for c in changes
        if not c.new and c.record["status"] == Technician.Status.TERMINATED and c.before["status"] != c.record["status"]
    ]
    if separated:
        services.technicians_end_logins(technician_ids=separated)
    record_run(result, user=user)
    earliest, site_ids = _kpi_reach(changes)
    kpi_recompute_after_import(earliest=earliest, site_ids=site_ids, today=today)
    incentives_after_import(
        c.record["id"] for c in changes if c.opened and c.opened["reason"] == TierAssignment.Reason.PROMOTION
    )


def _kpi_reach(changes: list[_TechnicianChange]) -> tuple[dt.date | None, set[int]]:
    """The earliest day whose KPIs the changes can move, and the sites they touch. A site or
    hire-date change moves every month since hiring (the KPIs count technicians at their
    current site); a separation from its date; a tier change from its start."""
    days: list[dt.date] = []
    sites: set[int] = set()
    for change in changes:
        tech = change.record
        touched = False
        if change.new:
            days.append(tech["hire_date"])
            touched = True
        else:
            before = change.before
            if "site_id" in change.changed or "hire_date" in change.changed:
                days.append(min(before["hire_date"], tech["hire_date"]))
                sites.add(before["site_id"])
                touched = True
            if "termination_date" in change.changed:
                days.extend(d for d in (before["termination_date"], tech["termination_date"]) if d)
                touched = True
            if change.opened:
                days.append(change.opened["start_date"])
                touched = True
        if touched:
            sites.add(tech["site_id"])
    return (min(days) if days else None), sites
