"""Every write of incentives: programmes (hr), the trigger check that records what technicians
earned (a CPhT within the PTCB window, a promotion as the KPIs count it, a CE cycle completed),
and awarding. The check is idempotent: an event counts once per programme.

Certifications cannot import this app (it is above them); they send
``certifications.signals.credential_counted`` when a verified certificate or a CE credit may
complete a trigger, and ``on_credential_counted`` checks at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from careerladder.core import versions
from careerladder.core.errors import ApplicationError
from careerladder.core.models import full_clean_fields
from certifications.models import (
    Certification,
)
from certifications.renewal import CreditLine, RenewalRule, format_day, renewal_progress
from certifications.selectors import (
    CPHT,
    counted_as_q,
    credit_lines_by_technician,
    cycle_issued_on,
    policy_get,
    with_ptcb,
)
from certifications.services import check_may_oversee
from incentives.models import Incentive, IncentiveProgram
from technicians.models import Technician
from tiers.selectors import promotions_in

INCENTIVE_PROGRAM_FIELDS = ("code", "name", "kind", "trigger", "amount", "description", "effective_from", "active")


@transaction.atomic
def incentive_program_create(**data) -> IncentiveProgram:
    data["code"] = (data.get("code") or "").strip().upper()
    if IncentiveProgram.objects.filter(code=data["code"]).exists():
        raise ApplicationError(f"An incentive programme with code {data['code']} exists already.", field="code")
    program = IncentiveProgram(**{k: v for k, v in data.items() if k in INCENTIVE_PROGRAM_FIELDS})
    full_clean_fields(program)
    program.save()
    return program


@transaction.atomic
def incentive_program_update(*, program: IncentiveProgram, data: dict[str, Any]) -> IncentiveProgram:
    program = IncentiveProgram.objects.select_for_update().get(pk=program.pk)
    if "code" in data and data["code"].strip().upper() != program.code:
        raise ApplicationError("The code of a programme never changes.", field="code")
    for name, value in data.items():
        if name in INCENTIVE_PROGRAM_FIELDS and name != "code":
            setattr(program, name, value)
    full_clean_fields(program)
    program.save()
    return program


def _cpht_within_window_events(*, technician_ids: list[int], today: dt.date, since: dt.date) -> list[tuple]:
    """(technician id, key, day, detail) for technicians holding a verified CPhT issued on or
    before their PTCB deadline (the extended one if granted)."""
    policy = policy_get()
    techs = with_ptcb(
        Technician.objects.filter(pk__in=technician_ids), today=today, window_months=policy.ptcb_window_months
    ).values_list("pk", "ptcb_deadline")
    deadlines = dict(techs)
    first_cpht: dict[int, dt.date] = {}
    rows = (
        Certification.objects.filter(
            counted_as_q(CPHT),
            technician_id__in=technician_ids,
            verified_at__isnull=False,
            issued_on__lte=today,
        )
        .order_by("technician_id", "issued_on")
        .values_list("technician_id", "issued_on")
    )
    for tech_id, issued_on in rows:
        first_cpht.setdefault(tech_id, issued_on)
    events = []
    for tech_id, issued_on in first_cpht.items():
        deadline = deadlines.get(tech_id)
        if deadline is None or issued_on > deadline:
            continue
        events.append(
            (tech_id, "cpht", issued_on, f"CPhT issued {format_day(issued_on)}, deadline {format_day(deadline)}")
        )
    return events


def _promotion_events(*, technician_ids: list[int], since: dt.date, today: dt.date) -> list[tuple]:
    """Promotions effective from ``since`` to ``today``, as the KPIs count them
    (``tiers.selectors.promotions_in``: a tier ranked above the previous assignment's)."""
    rows = (
        promotions_in(since, today)
        .filter(technician_id__in=technician_ids)
        .select_related("tier")
        .order_by("start_date")
    )
    return [
        (a.technician_id, f"promotion:{a.pk}", a.start_date, f"Promoted to {a.tier.name} on {format_day(a.start_date)}")
        for a in rows
    ]


def _ce_completion_events(*, technician_ids: list[int], today: dt.date, since: dt.date) -> list[tuple]:
    """A verified certification's CE requirement for its current cycle is met: one event per
    cycle, dated the day the credit that completed it was earned.

    Decision: one cycle, one award. A CPhT with an upgrade recorded (a CPhT-Adv, verified or
    waiting for verification) renews as the upgrade, so its cycle is awarded under the
    upgrade's key once the upgrade is verified and its (25 h) rule is met; while the upgrade
    waits, nothing is awarded. An upgrade returned to the technician gives the cycle back to
    the CPhT."""
    certs = list(
        Certification.objects.filter(
            technician_id__in=technician_ids,
            verified_at__isnull=False,
            expires_on__gt=today,
            type__ce_hours_required__gt=0,
        )
        .exclude(upgraded_to__isnull=False, upgraded_to__rejected_at__isnull=True)
        .select_related("type", "upgraded_from")
    )
    if not certs:
        return []
    credits = credit_lines_by_technician(technician_ids={c.technician_id for c in certs}, until=today)
    events = []
    for cert in certs:
        rule = replace(RenewalRule.of(cert.type), requires_attestation=False)
        lines = credits.get(cert.technician_id, [])

        issued_on = cycle_issued_on(cert, upgraded_from=cert.upgraded_from)  # as the renewal page counts it

        def complete(upto: list[CreditLine], cert=cert, rule=rule, issued_on=issued_on) -> bool:
            return renewal_progress(
                rule=rule, issued_on=issued_on, expires_on=cert.expires_on, credits=upto, today=today
            ).complete

        if not complete(lines):
            continue
        completed_on = next(line.completed_on for i, line in enumerate(lines) if complete(lines[: i + 1]))
        key = f"ce:{cert.pk}:{cert.expires_on:%Y-%m-%d}"
        detail = f"{cert.type.code} CE complete for the cycle ending {format_day(cert.expires_on)}"
        events.append((cert.technician_id, key, completed_on, detail))
    return events


EVENT_SOURCES = {
    IncentiveProgram.Trigger.CPHT_WITHIN_WINDOW: _cpht_within_window_events,
    IncentiveProgram.Trigger.PROMOTION: _promotion_events,
    IncentiveProgram.Trigger.CE_COMPLETION: _ce_completion_events,
}


EVALUATE_CHUNK = 500


def incentives_evaluate(*, technician_ids: Iterable[int] | None = None, today: dt.date | None = None) -> int:
    """Create an ``eligible`` incentive for each active programme whose trigger fired for a
    technician on or after the programme's ``effective_from``; returns how many were created.
    Safe to run again: an event (``trigger_key``) counts once per programme. Terminated
    technicians are left out. Runs after the writes that can fire a trigger and nightly (the
    task in ``incentives.tasks``) to pick up promotions."""
    today = today or timezone.localdate()
    programs = list(IncentiveProgram.objects.filter(active=True, effective_from__lte=today))
    if not programs:
        return 0
    base = Technician.objects.exclude(status=Technician.Status.TERMINATED)
    if technician_ids is not None:
        base = base.filter(pk__in=list(technician_ids))
    ids = list(base.order_by("pk").values_list("pk", flat=True))
    created = 0
    for offset in range(0, len(ids), EVALUATE_CHUNK):
        chunk = ids[offset : offset + EVALUATE_CHUNK]
        new_rows: list[Incentive] = []
        for trigger, source in EVENT_SOURCES.items():
            wanted = [p for p in programs if p.trigger == trigger]
            if not wanted:
                continue
            since = min(p.effective_from for p in wanted)
            events = source(technician_ids=chunk, today=today, since=since)
            for program in wanted:
                for tech_id, key, day, detail in events:
                    if day < program.effective_from:
                        continue
                    new_rows.append(
                        Incentive(
                            technician_id=tech_id,
                            program=program,
                            trigger_key=key,
                            trigger_detail=detail[:200],
                            eligible_on=day,
                            amount=program.amount,
                        )
                    )
        if new_rows:
            before = Incentive.objects.filter(technician_id__in=chunk).count()
            Incentive.objects.bulk_create(new_rows, ignore_conflicts=True)
            added = Incentive.objects.filter(technician_id__in=chunk).count() - before
            if added:  # bulk_create sends no signals (careerladder/core/versions.py)
                versions.touch_sites(
                    Technician.objects.filter(pk__in={row.technician_id for row in new_rows})
                    .values_list("site_id", flat=True)
                    .distinct()
                )
            created += added
    return created


@transaction.atomic
def incentive_award(
    *,
    incentive: Incentive,
    awarded_by,
    awarded_on: dt.date | None = None,
    amount: Decimal | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Incentive:
    """A manager marks an eligible incentive awarded (with the day, and the amount paid if it
    differs from the programme's)."""
    today = today or timezone.localdate()
    incentive = (
        Incentive.objects.select_for_update(of=("self",)).select_related("program", "technician").get(pk=incentive.pk)
    )
    check_may_oversee(
        incentive.technician, awarded_by, "Only a manager of the technician's site or HR awards incentives."
    )
    if incentive.status != Incentive.Status.ELIGIBLE:
        raise ApplicationError("This incentive has been awarded already.")
    awarded_on = awarded_on or today
    if awarded_on > today:
        raise ApplicationError(errors={"awarded_on": "The award date cannot be in the future."})
    if awarded_on < incentive.eligible_on:
        raise ApplicationError(
            errors={"awarded_on": "An incentive cannot be awarded before the technician became eligible."}
        )
    if amount is not None and amount < 0:
        raise ApplicationError(errors={"amount": "The amount cannot be negative."})
    incentive.status = Incentive.Status.AWARDED
    incentive.awarded_on = awarded_on
    incentive.awarded_by = awarded_by
    if amount is not None:
        incentive.amount = amount
    incentive.note = (note or "").strip()[:300]
    incentive._history_user = awarded_by
    incentive.save()
    return incentive


def on_credential_counted(sender, *, technician_ids: list[int], today: dt.date, **kwargs) -> None:
    """``certifications.signals.credential_counted``: check these technicians' triggers now."""
    incentives_evaluate(technician_ids=technician_ids, today=today)
