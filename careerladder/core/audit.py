"""The audit trail: who changed what and when, read from django-simple-history.

How the acting user is recorded (``history_user`` of each historical row):

- pages and the API: ``simple_history.middleware.HistoryRequestMiddleware`` keeps the request
  while it is served. DRF's token authentication runs after the middleware, but DRF sets the
  user it authenticates on the underlying Django request too, so a token-authenticated write
  is attributed to the token's owner (``tests/audit`` holds that to account);
- services that are told who acts (``recorded_by``, ``approver``, ...) say so explicitly with
  ``attribute(instance, user)``, which also covers a command that acts for a named user;
- management commands and Celery tasks record no user: shown as "System". A task hides the
  request while it runs (``suspend_request_during_task``), so a task run eagerly inside a
  request is a system change too, as it would be on a worker;
- a bulk import without a user sets a change reason starting with "Import" and is shown as
  "Import".

History is read-only everywhere: no page or endpoint writes to it, the admin's revert is
disabled and refused (``careerladder.core.admin.ReadOnlyHistoryAdmin``,
``SIMPLE_HISTORY_REVERT_DISABLED``).

``HistoryFormatter`` turns historical rows into plain lines ("status: active → terminated")
with ``diff_against``; related objects are looked up in one query per related model, so a
page of entries costs the same number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

SYSTEM = "System"
IMPORT = "Import"
EMPTY = "—"
ARROW = "\u2192"
LONG_TEXT = 200

ACTION_CREATED, ACTION_CHANGED, ACTION_DELETED = "+", "~", "-"


# ---------------------------------------------------------------------------------------------
# Who acted
# ---------------------------------------------------------------------------------------------


def attribute(instance: models.Model, user=None, *, reason: str = "") -> models.Model:
    """Record ``user`` (when given) and ``reason`` on the next history row of ``instance``.

    Without a user the request's user (pages, API) or nobody (commands, tasks) is recorded."""
    if user is not None:
        instance._history_user = user
    if reason:
        instance._change_reason = reason
    return instance


def user_label(user) -> str:
    """ "Harriet Reed (HR)": full name (or login name) and role."""
    name = user.get_full_name() or user.username
    role = user.effective_role
    return f"{name} ({user.Role(role).label})"


def actor_label(user, reason: str = "") -> str:
    """Who made a change: the user, else "Import" for an import, else "System"."""
    if user is not None:
        return user_label(user)
    if (reason or "").strip().lower().startswith("import"):
        return IMPORT
    return SYSTEM


def _context_stack() -> list:
    stack = getattr(HistoricalRecords.context, "suspended_requests", None)
    if stack is None:
        stack = []
        HistoricalRecords.context.suspended_requests = stack
    return stack


def suspend_request_during_task(**kwargs) -> None:
    """Celery ``task_prerun``: a task's changes are the system's, not the request's user."""
    _context_stack().append(getattr(HistoricalRecords.context, "request", None))
    if hasattr(HistoricalRecords.context, "request"):
        del HistoricalRecords.context.request


def restore_request_after_task(**kwargs) -> None:
    """Celery ``task_postrun``: give the request back to the code that ran the task."""
    stack = _context_stack()
    request = stack.pop() if stack else None
    if request is not None:
        HistoricalRecords.context.request = request


# ---------------------------------------------------------------------------------------------
# What changed
# ---------------------------------------------------------------------------------------------


def _name(user) -> str:
    return user.get_full_name() or user.username


# How a related object is named in a diff line, per model: (select_related, label). Other
# related models show as "#<id>"; every lookup is one query per model for a whole page.
RELATED_LABELS: dict[str, tuple[tuple[str, ...], Callable[[models.Model], str]]] = {
    "technicians.User": ((), _name),
    "technicians.Technician": ((), lambda t: t.full_name),
    "technicians.Site": ((), lambda s: s.code),
    "tiers.Tier": ((), lambda t: t.name),
    "competencies.ChecklistItem": (("competency",), lambda i: f"{i.competency.name}: {i.text}"),
    "competencies.Competency": ((), lambda c: c.name),
    "tracks.Track": ((), lambda t: t.name),
    "tracks.TrackPosition": ((), lambda p: p.name),
    "certifications.CertificationType": ((), lambda t: t.name),
    "training.Program": ((), lambda p: p.name),
}


@dataclass
class ChangeLine:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old} {ARROW} {self.new}"


@dataclass
class ValueLine:
    field: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}: {self.value}"


@dataclass
class HistorySpec:
    """How one audited model reads in the trail: fields left out, and better labels."""

    hidden: frozenset[str] = frozenset()
    labels: dict[str, str] = field(default_factory=dict)


class HistoryFormatter:
    """Formats historical rows; call ``prefetch(records)`` once for all rows of a page."""

    def __init__(self, specs: dict[type, HistorySpec] | None = None):
        self.specs = specs or {}
        self._related: dict[str, dict] = {}

    # -- related objects, in bulk ------------------------------------------------------------

    def prefetch(self, records: Iterable) -> None:
        wanted: dict[str, set] = defaultdict(set)
        for record in records:
            for f in self._fields(record):
                if f.is_relation and f.many_to_one:
                    value = getattr(record, f.attname)
                    if value is not None:
                        wanted[f.related_model._meta.label].add(value)
        for label, ids in wanted.items():
            known = self._related.setdefault(label, {})
            missing = ids - set(known)
            if not missing or label not in RELATED_LABELS:
                continue
            related, _ = RELATED_LABELS[label]
            model = apps.get_model(label)
            for obj in model._default_manager.select_related(*related).filter(pk__in=missing):
                known[obj.pk] = obj

    def related_label(self, model_label: str, pk) -> str:
        if pk is None:
            return EMPTY
        obj = self._related.get(model_label, {}).get(pk)
        if obj is None or model_label not in RELATED_LABELS:
            return f"#{pk}"
        return RELATED_LABELS[model_label][1](obj)

    # -- fields and values -------------------------------------------------------------------

    def _spec(self, record) -> HistorySpec:
        return self.specs.get(record.instance_type, HistorySpec())

    def _fields(self, record) -> list:
        hidden = self._spec(record).hidden
        return [f for f in record.tracked_fields if f.editable and not f.primary_key and f.name not in hidden]

    def label(self, record, f) -> str:
        return self._spec(record).labels.get(f.name) or str(f.verbose_name)

    def display(self, f, value) -> str:
        if f.is_relation and f.many_to_one:
            pk = value.pk if isinstance(value, models.Model) else value
            return self.related_label(f.related_model._meta.label, pk)
        if value is None or value == "":
            return EMPTY
        if isinstance(f, models.FileField):
            name = getattr(value, "name", value)
            return os.path.basename(name) if name else EMPTY
        if f.choices:
            return str(dict(f.flatchoices).get(value, value)).lower()
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else f"{value}"
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value}"
        text = " ".join(str(value).split())
        return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"

    def value_of(self, record, name: str) -> str:
        f = record.instance_type._meta.get_field(name)
        return self.display(f, getattr(record, f.attname))

    def initial_values(self, record) -> list[ValueLine]:
        """The values a created record started with (empty ones left out)."""
        lines = []
        for f in self._fields(record):
            value = getattr(record, f.attname)
            if value is None or value == "" or (isinstance(f, models.FileField) and not value):
                continue
            lines.append(ValueLine(self.label(record, f), self.display(f, value)))
        return lines

    def changes(self, record, previous) -> list[ChangeLine]:
        """Field-by-field differences from ``previous`` (simple-history's ``diff_against``),
        in the model's field order."""
        fields = self._fields(record)
        delta = record.diff_against(previous, included_fields=[f.name for f in fields])
        by_name = {c.field: c for c in delta.changes}
        return [
            ChangeLine(
                self.label(record, f), self.display(f, by_name[f.name].old), self.display(f, by_name[f.name].new)
            )
            for f in fields
            if f.name in by_name
        ]


def previous_records(records: Iterable) -> dict[int, object]:
    """For rows of several objects of one model, each row's predecessor (by ``history_id``),
    computed in Python from rows already loaded: ``{history_id: previous row or None}``."""
    by_object: dict = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    previous: dict[int, object] = {}
    for rows in by_object.values():
        rows.sort(key=lambda r: (r.history_date, r.history_id))
        before = None
        for row in rows:
            previous[row.history_id] = before
            before = row
    return previous


# ---------------------------------------------------------------------------------------------
# Entries of a timeline
# ---------------------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    """One entry of an audit timeline: when, who, what kind, what changed."""

    when: dt.datetime
    who: str
    kind: str
    headline: str
    subject: str = ""
    lines: list = field(default_factory=list)  # ChangeLine / ValueLine
    reason: str = ""
    action: str = ACTION_CHANGED

    @property
    def text(self) -> str:
        """The entry as one plain line (exports, tests)."""
        parts = [self.headline + (f": {self.subject}" if self.subject else "")]
        parts += [str(line) for line in self.lines]
        if self.reason:
            parts.append(f"({self.reason})")
        return "; ".join(parts)


def history_entry(
    record,
    previous,
    fmt: HistoryFormatter,
    *,
    label: str,
    created: str,
    subject: str = "",
    status_headlines: dict[str, str] | None = None,
) -> HistoryEntry:
    """Describe one historical row against its predecessor (``None`` for the first row)."""
    action = record.history_type
    reason = record.history_change_reason or ""
    if action == ACTION_DELETED:
        lines, headline = [], f"{label} deleted"
    elif action == ACTION_CREATED:
        lines, headline = fmt.initial_values(record), created
    elif previous is None:
        # Changed, but its earlier state predates the history (seeded without it): show the
        # state it was left in; the reason, when the service gave one, says what changed.
        lines, headline = fmt.initial_values(record), f"{label} changed"
    else:
        lines, headline = fmt.changes(record, previous), f"{label} changed"
        status = getattr(record, "status", None)
        if status in (status_headlines or {}) and getattr(previous, "status", None) != status:
            headline = status_headlines[status]
        if not lines and not reason:
            reason = "Saved without changes"
    if reason and reason == "; ".join(str(line) for line in lines):
        reason = ""  # a service that spelt the changes out as its reason says nothing more
    return HistoryEntry(
        when=record.history_date,
        who=actor_label(record.history_user, reason),
        kind=label,
        headline=headline,
        subject=subject,
        lines=lines,
        reason=reason,
        action=action,
    )
