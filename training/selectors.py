"""Reads with training rules: assignments with their derived status, rotations, the training
matrix and skill coverage. Everything is scoped with ``technicians.selectors.scope_to_viewer``
for the kind of record it shows (out of scope is simply absent: a 404). An evaluator reads only
their own assignments and rotations; their matrix has the columns they read of every technician
of their sites (competencies), and the track filter and lapsing duties go by what they read.

Matrix cell statuses (PRODUCT.md "Training matrix"), one rule per kind of column:

- competency: the ladder's own standing (``tiers.selectors.LadderFacts``): achieved, expiring
  (within 30 days of re-validation), expired, in progress (a round under way), not started;
- certification: the latest verified record's status (``certifications.selectors``): active is
  *achieved*, then *expiring* / *expired* by the organisation's expiring window; a record that
  still awaits verification is *in progress*; none at all is *not started*;
- programme: the latest assignment: completed is *achieved*, past due and not completed is
  *overdue*, assigned or started is *in progress* (it is on the technician's plan); never
  assigned is *not started*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse

from careerladder.core import versions
from certifications import selectors as certification_selectors
from competencies import selectors as competency_selectors
from competencies.models import ChecklistItem, Competency, CompetencyRound
from competencies.selectors import TctWithdrawal
from technicians.filters import technicians_filtered
from technicians.models import Technician
from technicians.selectors import Record, reads_all_in_scope, scope_to_viewer
from tiers.selectors import LadderFacts, technician_list
from training.models import Duty, Program, Rotation, TrainingAssignment

Status = TrainingAssignment.Status
COVERAGE_THRESHOLD = 2
LAPSE_WARNING_DAYS = 30


# --- Assignments ---------------------------------------------------------------------------


def with_assignment_status(qs: QuerySet[TrainingAssignment], *, today: dt.date) -> QuerySet[TrainingAssignment]:
    """Annotate ``status`` in SQL with exactly the rule of ``TrainingAssignment.status_on``
    (tests/twins/test_python_and_sql_agree.py compares the two)."""
    return qs.annotate(
        status=Case(
            When(completed_on__isnull=False, then=Value(Status.COMPLETED)),
            When(due_on__lt=today, then=Value(Status.OVERDUE)),
            When(started_on__isnull=False, then=Value(Status.IN_PROGRESS)),
            default=Value(Status.ASSIGNED),
            output_field=CharField(),
        )
    )


def program_list(*, active_only: bool = False) -> QuerySet[Program]:
    qs = Program.objects.order_by("category", "name")
    return qs.filter(active=True) if active_only else qs


def assignment_list(
    *,
    viewer,
    today: dt.date,
    technician: int | None = None,
    site: int | None = None,
    program: int | None = None,
    status: str | None = None,
) -> QuerySet[TrainingAssignment]:
    qs = scope_to_viewer(
        TrainingAssignment.objects.select_related("technician", "technician__site", "program"),
        viewer=viewer,
        record=Record.TRAINING,
    )
    qs = with_assignment_status(qs, today=today)
    if technician:
        qs = qs.filter(technician_id=technician)
    if site:
        qs = qs.filter(technician__site_id=site)
    if program:
        qs = qs.filter(program_id=program)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "id")


def training_progress(*, technician, today: dt.date) -> dict:
    """The ``training`` part of a technician's progress (``/me/`` and ``progress/``): the
    programmes still open, soonest due first, and the next rotations. The caller has already
    scoped ``technician`` to its viewer."""
    open_rows = with_assignment_status(
        TrainingAssignment.objects.filter(technician=technician, completed_on__isnull=True).select_related("program"),
        today=today,
    ).order_by("due_on", "id")
    due = [
        {
            "id": row.pk,
            "program": row.program.code,
            "name": row.program.name,
            "due_on": row.due_on,
            "status": row.status,
            "days_left": (row.due_on - today).days,
            "days_overdue": max(0, (today - row.due_on).days),
            "ce_hours": row.program.ce_hours,
        }
        for row in open_rows
    ]
    rotations = [
        {
            "station": r.station,
            "name": r.get_station_display(),
            "start": r.start,
            "end": r.end,
            "learning_week": r.learning_week,
        }
        for r in Rotation.objects.filter(technician=technician, end__gte=today).order_by("start")[:4]
    ]
    return {"training_due": due, "rotations_next": rotations}


def rotation_list(
    *,
    viewer,
    technician: int | None = None,
    site: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Rotation]:
    """Rotations in scope; ``start`` / ``end`` keep those overlapping that period."""
    qs = scope_to_viewer(
        Rotation.objects.select_related("technician", "technician__site"), viewer=viewer, record=Record.ROTATIONS
    )
    if technician:
        qs = qs.filter(technician_id=technician)
    if site:
        qs = qs.filter(technician__site_id=site)
    if start:
        qs = qs.filter(end__gte=start)
    if end:
        qs = qs.filter(start__lte=end)
    return qs.order_by("start", "technician__last_name", "id")


def rotation_week(*, viewer, site: int, monday: dt.date) -> list[dict]:
    """The week view of one site: a row per technician with a rotation that week, a cell per
    day (Monday to Sunday) holding the rotation covering it, if any."""
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    rows: dict[int, dict] = {}
    for rotation in rotation_list(viewer=viewer, site=site, start=days[0], end=days[-1]):
        row = rows.setdefault(rotation.technician_id, {"technician": rotation.technician, "days": [None] * 7})
        for n, day in enumerate(days):
            if rotation.start <= day <= rotation.end:
                row["days"][n] = rotation
    return sorted(rows.values(), key=lambda r: (r["technician"].last_name, r["technician"].first_name))


# --- The training matrix --------------------------------------------------------------------


class CellStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    OVERDUE = "overdue"
    # (value, label, symbol): the symbol makes the legend readable without colour.
    LEGEND = [
        (ACHIEVED, "Achieved", "✓"),
        (EXPIRING, "Expiring", "!"),
        (EXPIRED, "Expired", "✗"),
        (OVERDUE, "Overdue", "‼"),
        (IN_PROGRESS, "In progress", "…"),
        (NOT_STARTED, "Not started", "–"),
    ]
    HELD = (ACHIEVED, EXPIRING)


_LABELS = {value: label for value, label, _symbol in CellStatus.LEGEND}
_SYMBOLS = {value: symbol for value, _label, symbol in CellStatus.LEGEND}
COLUMN_KINDS = (("competency", "Competencies"), ("certification", "Certifications"), ("program", "Programmes"))
# The kind of record each kind of column shows.
COLUMN_RECORDS = {"competency": Record.COMPETENCIES, "certification": Record.CERTIFICATIONS, "program": Record.TRAINING}


@dataclass(frozen=True)
class MatrixColumn:
    kind: str  # competency, certification, program
    pk: int
    code: str
    name: str
    category: str


@dataclass
class MatrixCell:
    status: str = CellStatus.NOT_STARTED
    detail: str = ""
    url: str = ""

    @property
    def label(self) -> str:
        return _LABELS.get(self.status, self.status)

    @property
    def symbol(self) -> str:
        return _SYMBOLS.get(self.status, "?")


@dataclass
class MatrixRow:
    technician: Technician
    cells: list[MatrixCell] = field(default_factory=list)


def matrix_technicians(
    *,
    viewer,
    site: int | str | None = None,
    tier: str | None = None,
    track: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Technician]:
    """The matrix's rows: technicians in scope (employed ones unless ``include_inactive``),
    filtered by site, current tier and active track enrolment."""
    qs = technicians_filtered(technician_list(viewer=viewer), site=site, tier=tier)
    if not include_inactive:
        qs = qs.exclude(status=Technician.Status.TERMINATED)
    if track:
        qs = qs.filter(enrolments__track__code=track, enrolments__status="active").distinct()
        if not reads_all_in_scope(viewer, Record.ENROLMENTS):  # an evaluator: their own enrolment only
            qs = scope_to_viewer(qs, viewer=viewer, technician_field="", record=Record.ENROLMENTS)
    return qs.order_by("last_name", "first_name", "id")


def matrix_columns(*, kind: str = "", category: str = "", viewer=None) -> list[MatrixColumn]:
    """Columns in a fixed order: competencies, certifications, programmes (active ones);
    ``kind`` keeps one kind, ``category`` one category of competency or programme. Given a
    ``viewer``, only the kinds whose records they read of every technician in scope: a column
    an evaluator could fill only for themselves would show their colleagues as "not started".
    Read once per process and configuration version (``careerladder.core.versions.config_memo``)."""
    columns = versions.config_memo(
        f"matrix-columns:{kind}:{category}", lambda: _matrix_columns_load(kind=kind, category=category)
    )
    return [c for c in columns if viewer is None or reads_all_in_scope(viewer, COLUMN_RECORDS[c.kind])]


def _matrix_columns_load(*, kind: str, category: str) -> list[MatrixColumn]:
    columns: list[MatrixColumn] = []
    if kind in ("", "competency"):
        competencies = Competency.objects.filter(active=True).order_by("category", "name")
        if category:
            competencies = competencies.filter(category=category)
        columns += [MatrixColumn("competency", c.pk, c.code, c.name, c.category) for c in competencies]
    if kind in ("", "certification") and not category:
        columns += [
            MatrixColumn("certification", t.pk, t.code, t.name, t.category)
            for t in certification_selectors.certification_type_list()
        ]
    if kind in ("", "program"):
        programs = program_list(active_only=True)
        if category:
            programs = programs.filter(category=category)
        columns += [MatrixColumn("program", p.pk, p.code, p.name, p.category) for p in programs]
    return columns


_URL_SENTINEL = 987654321


def _url_maker(name: str):
    """``reverse(name, args=[pk])`` as a string substitution: the matrix needs a link per cell,
    and ``reverse`` costs more than everything else done for a cell. The route is reversed
    once with a sentinel id, which is then replaced."""
    head, _, tail = reverse(name, args=[_URL_SENTINEL]).rpartition(str(_URL_SENTINEL))
    return lambda pk: f"{head}{pk}{tail}"


class _TechnicianUrls(dict):
    """One URL per technician id, built on first use (see ``_url_maker``)."""

    def __init__(self, name: str):
        super().__init__()
        self._make = _url_maker(name)

    def __missing__(self, pk: int) -> str:
        url = self[pk] = self._make(pk)
        return url


def _certification_cells(*, viewer, ids: list[int], today: dt.date) -> dict[tuple[int, int], MatrixCell]:
    cells: dict[tuple[int, int], MatrixCell] = {}
    records = (
        certification_selectors.certification_list(viewer=viewer, today=today)
        .filter(technician_id__in=ids, rejected_at__isnull=True)
        .order_by("technician_id", "type_id", "issued_on", "id")
        .values_list("pk", "technician_id", "type_id", "verified_at", "status", "expires_on", "type__upgrade_of_id")
    )
    rank = {CellStatus.ACHIEVED: 3, CellStatus.EXPIRING: 3, CellStatus.IN_PROGRESS: 2, CellStatus.EXPIRED: 1}
    url = _url_maker("certifications:certification-detail")
    upgrades: set[tuple[int, int, int]] = set()  # (technician, upgrade type, upgraded type)
    for pk, tech_id, type_id, verified_at, status, expires_on, upgrade_of_id in records:
        if verified_at is None:
            cell_status, detail = CellStatus.IN_PROGRESS, "awaiting verification"
        else:
            cell_status = {"active": CellStatus.ACHIEVED}.get(status, status)
            detail = f"expires {expires_on:%Y-%m-%d}" if expires_on else "does not expire"
        current = cells.get((tech_id, type_id))
        # Later records replace earlier ones of equal or lower rank (a renewal replaces the
        # original); an unverified upload never hides a verified, current certification.
        if current is None or rank[cell_status] >= rank[current.status]:
            cells[(tech_id, type_id)] = MatrixCell(cell_status, detail, url(pk))
        if upgrade_of_id:
            upgrades.add((tech_id, type_id, upgrade_of_id))
    # An upgrade counts as the credential it upgrades (a CPhT-Adv holds the CPhT column) when it
    # stands better than that credential's own records.
    for tech_id, type_id, upgrade_of_id in sorted(upgrades):
        cell, current = cells[(tech_id, type_id)], cells.get((tech_id, upgrade_of_id))
        if current is None or rank[cell.status] > rank[current.status]:
            cells[(tech_id, upgrade_of_id)] = MatrixCell(cell.status, cell.detail, cell.url)
    return cells


def _program_cells(*, ids: list[int], today: dt.date) -> dict[tuple[int, int], MatrixCell]:
    cells: dict[tuple[int, int], MatrixCell] = {}
    rows = (
        with_assignment_status(TrainingAssignment.objects.filter(technician_id__in=ids), today=today)
        .order_by("technician_id", "program_id", "assigned_on", "id")
        .values_list("technician_id", "program_id", "status", "due_on", "completed_on")
    )
    urls = _TechnicianUrls("training:technician")
    for tech_id, program_id, status, due_on, completed_on in rows:
        if status == Status.COMPLETED:
            cell = MatrixCell(CellStatus.ACHIEVED, f"completed {completed_on:%Y-%m-%d}")
        elif status == Status.OVERDUE:
            cell = MatrixCell(CellStatus.OVERDUE, f"was due {due_on:%Y-%m-%d}")
        else:
            cell = MatrixCell(CellStatus.IN_PROGRESS, f"due {due_on:%Y-%m-%d}")
        cell.url = urls[tech_id]
        cells[(tech_id, program_id)] = cell  # the latest assignment wins
    return cells


def matrix_rows(
    *, viewer, technicians: Iterable[Technician], columns: list[MatrixColumn], today: dt.date
) -> list[MatrixRow]:
    """A row of cells per technician, in a fixed number of queries whatever the count."""
    technicians = list(technicians)
    ids = [t.pk for t in technicians]
    kinds = {c.kind for c in columns}
    standings = {}
    if "competency" in kinds and ids:
        facts = LadderFacts(technicians, today, competencies_only=True)
        standings = {t.pk: facts.competency_standings(t.pk) for t in technicians}
    certifications = _certification_cells(viewer=viewer, ids=ids, today=today) if "certification" in kinds else {}
    programs = _program_cells(ids=ids, today=today) if "program" in kinds else {}
    rows = []
    detail_urls = _TechnicianUrls("technicians:detail")
    training_urls = _TechnicianUrls("training:technician")
    for technician in technicians:
        row = MatrixRow(technician)
        detail_url = detail_urls[technician.pk]
        for column in columns:
            if column.kind == "competency":
                standing = standings.get(technician.pk, {}).get(column.pk)
                cell = MatrixCell(url=detail_url)
                if standing is not None:
                    cell.status = standing.status
                    if standing.expires_on and standing.status in (CellStatus.EXPIRING, CellStatus.EXPIRED):
                        cell.detail = f"expires {standing.expires_on:%Y-%m-%d}"
                    elif standing.status == CellStatus.IN_PROGRESS:
                        cell.detail = f"{standing.items_signed} of {standing.items_total} items signed"
                    elif standing.achieved_on:
                        cell.detail = f"achieved {standing.achieved_on:%Y-%m-%d}"
            elif column.kind == "certification":
                cell = certifications.get((technician.pk, column.pk)) or MatrixCell(url=detail_url)
            else:
                cell = programs.get((technician.pk, column.pk)) or MatrixCell(url=training_urls[technician.pk])
            row.cells.append(cell)
        rows.append(row)
    return rows


def matrix_held_counts(rows: list[MatrixRow], columns: list[MatrixColumn]) -> list[int]:
    """The summary row: how many of ``rows`` hold each column (achieved or expiring)."""
    return [sum(1 for row in rows if row.cells[n].status in CellStatus.HELD) for n in range(len(columns))]


def matrix_iter(
    *, viewer, technicians: QuerySet[Technician], columns: list[MatrixColumn], today: dt.date, chunk: int = 500
) -> Iterator[MatrixRow]:
    """Every row of the matrix, ``chunk`` technicians at a time (keyset on the ordering), so an
    org-wide export never holds more than one chunk in memory."""
    qs = technicians.order_by("pk")
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:chunk])
        if not batch:
            return
        yield from matrix_rows(viewer=viewer, technicians=batch, columns=columns, today=today)
        last = batch[-1].pk


# --- Skill coverage -------------------------------------------------------------------------


def skill_coverage_gaps(
    *, viewer, today: dt.date, site: int | None = None, threshold: int = COVERAGE_THRESHOLD
) -> list[dict]:
    """Competencies that, at a site, are held by at least one but fewer than ``threshold``
    active technicians: single points of failure for PTO backfill planning.

    "Held" is the ladder's rule: the latest achieved round has not expired. A competency nobody
    at the site holds is a skill the site does not practise (or a gap the matrix shows), not a
    single point of failure, so it is not listed here. One query, grouped in SQL.
    Returns ``[{site_id, site_code, site_name, competency_id, competency, holders}]`` ordered by
    site and competency.
    """
    later = CompetencyRound.objects.filter(
        technician=OuterRef("technician"),
        competency=OuterRef("competency"),
        achieved_on__lte=today,
        number__gt=OuterRef("number"),
    )
    rounds = scope_to_viewer(
        CompetencyRound.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gt=today),
            achieved_on__lte=today,
            competency__active=True,
            technician__status=Technician.Status.ACTIVE,
        ),
        viewer=viewer,
        record=Record.COMPETENCIES,
    ).filter(~Exists(later))
    if site:
        rounds = rounds.filter(technician__site_id=site)
    rows = (
        rounds.values(
            "technician__site_id",
            "technician__site__code",
            "technician__site__name",
            "competency_id",
            "competency__name",
        )
        .annotate(holders=Count("technician", distinct=True))
        .filter(holders__lt=threshold)
        .order_by("technician__site__code", "competency__name")
    )
    return [
        {
            "site_id": r["technician__site_id"],
            "site_code": r["technician__site__code"],
            "site_name": r["technician__site__name"],
            "competency_id": r["competency_id"],
            "competency": r["competency__name"],
            "holders": r["holders"],
        }
        for r in rows
    ]


def coverage_gap_lines(*, viewer, today: dt.date, site: int | None = None, limit: int = 10) -> list[str]:
    """The dashboard's "skill coverage gaps" card: one line per gap, at most ``limit``."""
    lines = []
    for gap in skill_coverage_gaps(viewer=viewer, today=today, site=site)[:limit]:
        people = "1 active technician" if gap["holders"] == 1 else f"{gap['holders']} active technicians"
        lines.append(f"{gap['site_code']}: {gap['competency']} is held by only {people}")
    return lines


# --- Authorised duties ----------------------------------------------------------------------


@dataclass
class DutyStanding:
    """Whether a technician may perform ``duty`` on a day. ``lapses_on`` is the first day the
    authorisation ends (the earliest expiry among its requirements; None when none expires);
    ``missing`` names the requirements that are not current."""

    duty: Duty
    authorised: bool
    lapses_on: dt.date | None
    missing: list[str]
    # Ongoing tech-check-tech competence failed (``competencies.selectors.TctWithdrawal``;
    # in words "no checks since 2026-01-10"), else None.
    withdrawn: TctWithdrawal | None = None
    # The tech-check-tech validation a withdrawal is judged against (its achievement date): a
    # re-validation starts afresh, so the notifications key each withdrawal on it.
    validated_on: dt.date | None = None


def duty_list() -> QuerySet[Duty]:
    return Duty.objects.filter(active=True).prefetch_related("competencies", "certification_types").order_by("name")


def duty_standings(
    *, technicians: Iterable[Technician], on: dt.date, duties: Iterable[Duty] | None = None
) -> dict[int, list[DutyStanding]]:
    """Each technician's standing for each duty on ``on``, in a fixed number of queries.

    A duty is authorised while every required (active) competency is current by the ladder's
    rule (achieved or expiring: ``tiers.selectors``) and every required certification is held
    by the certification rule (verified, issued, unexpired: ``certifications.selectors``).
    Both are valid through the day before their expiry date, so the expiry date is the day
    the duty lapses.

    A duty that needs a tech-check-tech competency (product verification) also needs ongoing
    competence while that competency is current (``competencies.selectors.tct_withdrawals``):
    a rolling accuracy below the state rule's threshold, or months without checks, withdraws
    it until the technician is validated again; ``withdrawn`` says why.
    """
    technicians = list(technicians)
    duties = list(duties if duties is not None else duty_list())
    ids = [t.pk for t in technicians]
    if not ids or not duties:
        return {pk: [] for pk in ids}
    facts = LadderFacts(technicians, on, competencies_only=True)
    held: dict[tuple[int, str], dt.date | None] = {}
    rows = certification_selectors.current_certifications(on=on).filter(technician_id__in=ids)
    # An upgrade counts as the credential it upgrades (a CPhT-Adv for a duty that asks for CPhT).
    upgrades = certification_selectors.upgrades()
    for tech_id, code, expires_on in rows.values_list("technician_id", "type__code", "expires_on"):
        for counted in certification_selectors.with_upgraded([code], table=upgrades):
            key = (tech_id, counted)
            if key not in held or expires_on is None or (held[key] is not None and expires_on > held[key]):
                held[key] = expires_on
    # Each duty's requirements listed once, not once per technician.
    requirements = [(duty, list(duty.competencies.all()), list(duty.certification_types.all())) for duty in duties]
    tct_ids = {
        c.pk
        for _, comps, _ in requirements
        for c in comps
        if any(item.measure == ChecklistItem.Measure.TCT for item in facts.checklist_or_empty(c.pk))
    }
    by_technician = {technician.pk: facts.competency_standings(technician.pk) for technician in technicians}
    withdrawals: dict[tuple[int, int], str] = {}
    for tct_id in tct_ids:
        achieved = {
            pk: standings[tct_id].achieved_on
            for pk, standings in by_technician.items()
            if tct_id in standings and standings[tct_id].current and standings[tct_id].achieved_on
        }
        for pk, reason in competency_selectors.tct_withdrawals(
            technicians=technicians, achieved=achieved, on=on
        ).items():
            withdrawals[(pk, tct_id)] = reason
    out: dict[int, list[DutyStanding]] = {}
    for technician in technicians:
        competencies = by_technician[technician.pk]
        standings = []
        for duty, duty_competencies, duty_cert_types in requirements:
            missing: list[str] = []
            expiries: list[dt.date] = []
            withdrawn = None
            validated_on = None
            for competency in duty_competencies:
                standing = competencies.get(competency.pk)
                if standing is None:  # a retired competency drops out of every requirement
                    continue
                if not standing.current:
                    missing.append(competency.name)
                elif (technician.pk, competency.pk) in withdrawals:
                    withdrawn = withdrawals[(technician.pk, competency.pk)]
                    validated_on = standing.achieved_on
                    missing.append(f"product verification withdrawn: {withdrawn}")
                elif standing.expires_on:
                    expiries.append(standing.expires_on)
            for cert_type in duty_cert_types:
                key = (technician.pk, cert_type.code)
                if key not in held:
                    missing.append(cert_type.name)
                elif held[key]:
                    expiries.append(held[key])
            standings.append(
                DutyStanding(
                    duty=duty,
                    authorised=not missing,
                    lapses_on=min(expiries) if expiries and not missing else None,
                    missing=missing,
                    withdrawn=withdrawn,
                    validated_on=validated_on,
                )
            )
        out[technician.pk] = standings
    return out


def authorised_duties(*, technicians: Iterable[Technician], on: dt.date) -> dict[int, set[str]]:
    """Codes of the duties each technician is authorised for on ``on``."""
    return {
        pk: {s.duty.code for s in standings if s.authorised}
        for pk, standings in duty_standings(technicians=technicians, on=on).items()
    }


def duties_lapsing(
    *, viewer, today: dt.date, site: int | None = None, within_days: int = LAPSE_WARNING_DAYS
) -> list[dict]:
    """Authorisations of employed technicians in scope that lapse within ``within_days``
    (the manager's warning list), soonest first: ``[{technician, duty, lapses_on, withdrawn}]``.
    An authorisation rests on certificates too, so only the technicians whose certificates the
    viewer reads are listed.

    Duties withdrawn for ongoing tech-check-tech competence (``DutyStanding.withdrawn``) are
    listed first, with their reason and no ``lapses_on``: they have already lapsed, and a
    manager must see them without waiting for the notice (``notifications``). A duty that is
    merely missing a requirement is not listed: it was never authorised, or its lapse was on
    this list before it happened."""
    technicians = matrix_technicians(viewer=viewer, site=site)
    if not reads_all_in_scope(viewer, Record.CERTIFICATIONS):
        technicians = scope_to_viewer(technicians, viewer=viewer, technician_field="", record=Record.CERTIFICATIONS)
    technicians = list(technicians)
    horizon = today + dt.timedelta(days=within_days)
    standings = duty_standings(technicians=technicians, on=today)
    found = [
        {
            "technician": technician,
            "duty": standing.duty,
            "lapses_on": standing.lapses_on,
            "withdrawn": standing.withdrawn,
        }
        for technician in technicians
        for standing in standings.get(technician.pk, [])
        if standing.withdrawn or (standing.authorised and standing.lapses_on and standing.lapses_on <= horizon)
    ]
    return sorted(
        found,
        key=lambda row: (
            not row["withdrawn"],
            row["lapses_on"] or today,
            row["technician"].last_name,
            row["duty"].name,
        ),
    )
