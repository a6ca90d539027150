"""A technician's audit trail across the apps: one timeline, newest first, of every historical row
about them.

Sources (each model keeps ``history = HistoricalRecords()``): the technician record itself
(profile, status and separation), tier assignments, promotion requests and their decisions,
competency sign-offs, certifications, PTCB deadline extensions, monthly evaluations, training
assignments, rotations, track enrolments and CE credits. ``KINDS`` lists them; adding a source
is one more ``Kind``.

Cost: the page of entries is cut from a UNION of the history tables in the database (one
COUNT, one page query); then each kind on the page loads the full history of just the objects
it shows (to diff each row against its predecessor) and related names are fetched once per
related model. The number of queries therefore depends on the kinds, never on the entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db.models import CharField, Value

from careerladder.core import audit
from careerladder.core.audit import HistoryEntry, HistoryFormatter, HistorySpec
from technicians.models import Technician
from technicians.permissions import can_read_history

PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    key: str
    model: str  # app_label.ModelName of the audited model
    label: str  # what kind of record, for people
    created: str  # headline of the row that created it
    technician_field: str = "technician_id"  # on the historical row; "id" for the technician itself
    hidden: frozenset[str] = frozenset({"technician"})
    labels: dict[str, str] = field(default_factory=dict)
    # A change of ``status`` to one of these values gets its own headline.
    status_headlines: dict[str, str] = field(default_factory=dict)
    subject: Callable[[object, HistoryFormatter], str] | None = None

    @property
    def history_model(self):
        return apps.get_model(self.model).history.model


def _value(name: str) -> Callable:
    return lambda record, fmt: fmt.value_of(record, name)


KINDS: tuple[Kind, ...] = (
    Kind(
        key="technician",
        model="technicians.Technician",
        label="Technician record",
        created="Technician record created",
        technician_field="id",
        hidden=frozenset(),
        labels={"employee_id": "employee ID", "email": "e-mail"},
        status_headlines={"terminated": "Separation recorded"},
    ),
    Kind(
        key="tier_assignment",
        model="tiers.TierAssignment",
        label="Tier assignment",
        created="Tier assignment opened",
        hidden=frozenset({"technician"}),
        subject=lambda r, fmt: f"{fmt.value_of(r, 'tier')} from {fmt.value_of(r, 'start_date')}",
    ),
    Kind(
        key="promotion",
        model="tiers.Promotion",
        label="Promotion",
        created="Promotion requested",
        hidden=frozenset({"technician", "tier_assignment"}),
        status_headlines={"approved": "Promotion approved", "rejected": "Promotion rejected"},
        subject=lambda r, fmt: f"{fmt.value_of(r, 'from_tier')} {audit.ARROW} {fmt.value_of(r, 'to_tier')}",
    ),
    Kind(
        key="signoff",
        model="competencies.SignOff",
        label="Sign-off",
        created="Sign-off recorded",
        hidden=frozenset({"technician", "round", "evaluator_technician"}),
        labels={"evaluator": "signed by"},
        subject=_value("item"),
    ),
    Kind(
        key="certification",
        model="certifications.Certification",
        label="Certification",
        created="Certification recorded",
        subject=_value("type"),
    ),
    Kind(
        key="ptcb_extension",
        model="certifications.PtcbExtension",
        label="PTCB extension",
        created="PTCB deadline extended",
        subject=lambda r, fmt: f"to {fmt.value_of(r, 'extended_to')}",
    ),
    Kind(
        key="evaluation",
        model="tiers.Evaluation",
        label="Evaluation",
        created="Evaluation recorded",
        subject=lambda r, fmt: f"{r.month:%B %Y}",
    ),
    Kind(
        key="training_assignment",
        model="training.TrainingAssignment",
        label="Training assignment",
        created="Training assigned",
        subject=_value("program"),
    ),
    Kind(
        key="rotation",
        model="training.Rotation",
        label="Rotation",
        created="Rotation scheduled",
        subject=lambda r, fmt: f"{fmt.value_of(r, 'station')} {fmt.value_of(r, 'start')} to {fmt.value_of(r, 'end')}",
    ),
    Kind(
        key="enrolment",
        model="tracks.Enrolment",
        label="Track enrolment",
        created="Enrolled on a track",
        subject=_value("position"),
    ),
    Kind(
        key="ce_credit",
        model="certifications.CECredit",
        label="CE credit",
        created="CE credit logged",
        labels={"uan": "UAN"},
        subject=lambda r, fmt: f"{r.title} ({r.uan})",
    ),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


def _timeline(technician: Technician):
    parts = [
        kind.history_model.objects.filter(**{kind.technician_field: technician.pk})
        .order_by()
        .annotate(audit_kind=Value(kind.key, output_field=CharField()))
        .values_list("audit_kind", "history_id", "history_date", "id")
        for kind in KINDS
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id", "audit_kind")


def _formatter() -> HistoryFormatter:
    return HistoryFormatter(
        {apps.get_model(kind.model): HistorySpec(hidden=kind.hidden, labels=kind.labels) for kind in KINDS}
    )


def _entry(kind: Kind, record, previous, fmt: HistoryFormatter) -> HistoryEntry:
    return audit.history_entry(
        record,
        previous,
        fmt,
        label=kind.label,
        created=kind.created,
        subject=kind.subject(record, fmt) if kind.subject else "",
        status_headlines=kind.status_headlines,
    )


def _describe(rows: list[tuple]) -> list[HistoryEntry]:
    object_ids: dict[str, set] = defaultdict(set)
    for key, _history_id, _when, object_id in rows:
        object_ids[key].add(object_id)
    records: dict[tuple[str, int], object] = {}
    previous: dict[tuple[str, int], object] = {}
    loaded = []
    for key, ids in object_ids.items():
        kind = KINDS_BY_KEY[key]
        # Every row of the objects on this page: the page's rows and their predecessors.
        history = list(kind.history_model.objects.filter(id__in=ids).select_related("history_user"))
        loaded += history
        for record in history:
            records[key, record.history_id] = record
        for history_id, before in audit.previous_records(history).items():
            previous[key, history_id] = before
    fmt = _formatter()
    fmt.prefetch(loaded)
    return [
        _entry(KINDS_BY_KEY[key], records[key, history_id], previous[key, history_id], fmt)
        for key, history_id, _when, _object_id in rows
    ]


def technician_history(*, technician: Technician, viewer, page: int | str | None = 1) -> Page:
    """A page of ``technician``'s audit trail, newest first, as ``HistoryEntry`` objects.

    Hr and admin read it (``can_read_history``); for anyone else the technician is simply
    not found, like any record outside their scope."""
    if not can_read_history(viewer):
        raise Technician.DoesNotExist("Only HR and administrators read the audit trail.")
    result = Paginator(_timeline(technician), PAGE_SIZE).get_page(page)
    result.object_list = _describe(list(result.object_list))
    return result
