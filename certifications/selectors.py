"""Reads with certification rules. Other apps ask here, never the models directly.

Every list is scoped with ``technicians.selectors.scope_to_viewer`` for the kind of record it
shows (out of scope is simply absent, so it answers 404; an evaluator reads only their own
certificates, CE credits, practice tests and incentives) and annotated in SQL so that page
query counts stay flat.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from careerladder.core import versions
from careerladder.core.dates import add_months, months_between
from certifications.expressions import AddMonths
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
from certifications.practice import Attempt, practice_summary
from certifications.ptcb import DUE_SOON_DAYS, PtcbStatus, days_words, ptcb_deadline, ptcb_status, ptcb_words
from certifications.renewal import (
    AttestationLine,
    CreditLine,
    RenewalRule,
    format_day,
    reinstatement_progress,
    renewal_progress,
)
from technicians.models import Technician
from technicians.selectors import Record, scope_to_viewer

CPHT = "CPHT"
CSPT = "CSPT"
CPHT_ADV = "CPHT_ADV"


class CertificationStatus:
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    CHOICES = [(ACTIVE, "Active"), (EXPIRING, "Expiring"), (EXPIRED, "Expired")]


def policy_get() -> OrgPolicy:
    """The organisation's policy (a copy: callers may change it without touching others')."""
    return copy.copy(versions.config_memo("org-policy", lambda: OrgPolicy.objects.get_or_create(pk=1)[0]))


def upgrades() -> dict[str, str]:
    """``{upgrade code: upgraded code}``, e.g. ``{"CPHT_ADV": "CPHT"}``: holding the upgrade
    counts as holding the credential it upgrades (PTCB upgrades the same CPhT to CPhT-Adv:
    same number, same cycle)."""
    return dict(
        versions.config_memo(
            "certification-upgrades",
            lambda: dict(
                CertificationType.objects.filter(upgrade_of__isnull=False).values_list("code", "upgrade_of__code")
            ),
        )
    )


def counts_as(code: str) -> set[str]:
    """The type codes whose holding counts as holding ``code``: itself and its upgrades, so
    ``counts_as("CPHT") == {"CPHT", "CPHT_ADV"}``."""
    found = {code}
    table = upgrades()
    grew = True
    while grew:
        more = {upgrade for upgrade, base in table.items() if base in found} - found
        found |= more
        grew = bool(more)
    return found


def counted_as_q(code: str, *, prefix: str = "type") -> Q:
    """``counts_as`` in SQL, without reading the upgrade table first: the type is ``code`` or
    upgrades it (one join to the small type table), so a KPI or list query costs no extra
    query for it."""
    return Q(**{f"{prefix}__code": code}) | Q(**{f"{prefix}__upgrade_of__code": code})


def with_upgraded(codes: Iterable[str], *, table: dict[str, str] | None = None) -> set[str]:
    """Held codes plus every code they count as (a CPhT-Adv holder holds CPhT). ``table``
    (``upgrades()``) saves reading it again when called once per technician."""
    held = set(codes)
    table = upgrades() if table is None else table
    pending = list(held)
    while pending:
        base = table.get(pending.pop())
        if base and base not in held:
            held.add(base)
            pending.append(base)
    return held


def current_certifications(*, on: dt.date) -> QuerySet[Certification]:
    """Verified certifications issued on or before ``on`` and not expired on that day.

    Self-reported records count only once a manager has verified them. A certification is
    valid up to the day before its expiry date: on ``expires_on`` itself it has expired.
    """
    return Certification.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=on),
        issued_on__lte=on,
        verified_at__isnull=False,
    )


def certification_codes_held(*, technician_ids: Iterable[int], on: dt.date) -> dict[int, set[str]]:
    """Codes of the current certifications of each technician on ``on``, in one query, with
    the codes they count as (an active CPhT-Adv is a CPhT for every requirement)."""
    held: dict[int, set[str]] = defaultdict(set)
    rows = current_certifications(on=on).filter(technician_id__in=list(technician_ids))
    for tech_id, code in rows.values_list("technician_id", "type__code"):
        held[tech_id].add(code)
    table = upgrades()
    for tech_id in list(held):
        held[tech_id] = with_upgraded(held[tech_id], table=table)
    return held


def is_current(certification: Certification, *, on: dt.date) -> bool:
    """``current_certifications`` for one record already loaded (no query), for pages that
    hold a technician's records anyway; tests/twins/test_python_and_sql_agree.py runs both
    forms on the same rows."""
    return (
        certification.verified_at is not None
        and certification.issued_on <= on
        and (certification.expires_on is None or certification.expires_on > on)
    )


def with_certification_status(qs: QuerySet[Certification], *, today: dt.date, expiring_days: int) -> QuerySet:
    """Annotate ``status`` in SQL, the one form of the rule: ``expired`` from the expiry date
    on, ``expiring`` within ``expiring_days`` (60 by default, the boundary day included), else
    ``active`` (also without an expiry date)."""
    return qs.annotate(
        status=Case(
            When(expires_on__isnull=True, then=Value(CertificationStatus.ACTIVE)),
            When(expires_on__lte=today, then=Value(CertificationStatus.EXPIRED)),
            When(
                expires_on__lte=today + dt.timedelta(days=expiring_days),
                then=Value(CertificationStatus.EXPIRING),
            ),
            default=Value(CertificationStatus.ACTIVE),
            output_field=CharField(),
        )
    )


# --- PTCB baseline ---------------------------------------------------------------------


def latest_extension(*, technician) -> PtcbExtension | None:
    return PtcbExtension.objects.filter(technician=technician).select_related("granted_by").order_by("-id").first()


def ptcb_for(*, technician, today: dt.date, policy: OrgPolicy | None = None, certifications=None) -> dict:
    """One technician's PTCB baseline on ``today``: ``deadline`` and ``status`` (the contract),
    plus the policy deadline, the extension if any, days left and the plain-words summary.

    ``policy`` and ``certifications`` (every record of the technician, with ``type``) save
    their queries when the caller has them already. The Python form of ``with_ptcb``, which
    lists and KPIs use; tests/twins/test_python_and_sql_agree.py runs both on the same rows."""
    policy = policy or policy_get()
    extension = latest_extension(technician=technician)
    policy_deadline = ptcb_deadline(hire_date=technician.hire_date, window_months=policy.ptcb_window_months)
    deadline = ptcb_deadline(
        hire_date=technician.hire_date,
        window_months=policy.ptcb_window_months,
        extended_to=extension.extended_to if extension else None,
    )
    codes = counts_as(CPHT)
    if certifications is None:
        certifications = list(
            Certification.objects.filter(technician=technician, type__code__in=codes).select_related("type")
        )
    holds = any(c.type.code in codes and is_current(c, on=today) for c in certifications)
    status = ptcb_status(deadline=deadline, holds_cpht=holds, today=today)
    # A self-reported CPhT a manager has not checked yet does not count; the page says it waits.
    waiting = not holds and any(c.type.code in codes and awaits_verification(c, on=today) for c in certifications)
    summary = ptcb_words(deadline=deadline, status=status, today=today)
    # A CPhT held once and expired since: the baseline is lapsed, not "overdue by years".
    expired = [
        c.expires_on
        for c in certifications
        if c.type.code in codes and c.verified_at is not None and c.expires_on is not None and c.expires_on <= today
    ]
    lapsed_on = max(expired) if expired and not holds else None
    if waiting:
        summary = "PTCB waiting for verification"
    elif lapsed_on is not None and status == PtcbStatus.OVERDUE:
        summary = f"PTCB lapsed: CPhT expired {format_day(lapsed_on)}"
    return {
        "deadline": deadline,
        "status": status,
        "policy_deadline": policy_deadline,
        "window_months": policy.ptcb_window_months,
        "extended": extension is not None,
        "extension_reason": extension.reason if extension else "",
        "days_left": (deadline - today).days,
        "awaiting_verification": waiting,
        "lapsed_on": lapsed_on,
        "summary": summary,
    }


def renews_as_upgrade(certification: Certification) -> bool:
    """A record upgraded to a verified one (a CPhT now a CPhT-Adv): its expiry is the upgrade's
    to tell, so expiry notices, to-dos and calendar events name the upgrade alone (the SQL form
    is in ``expiring_certifications``). ``upgraded_to`` should be loaded with the record
    (``select_related``)."""
    upgrade = getattr(certification, "upgraded_to", None)
    return upgrade is not None and upgrade.verified_at is not None


def awaits_verification(certification: Certification, *, on: dt.date) -> bool:
    """A self-reported record that would count once verified: not verified, not returned,
    issued on or before ``on`` and unexpired on it."""
    return (
        certification.verified_at is None
        and certification.rejected_at is None
        and certification.issued_on <= on
        and (certification.expires_on is None or certification.expires_on > on)
    )


def with_ptcb(qs: QuerySet[Technician], *, today: dt.date, window_months: int) -> QuerySet[Technician]:
    """Annotate technicians with ``ptcb_deadline`` and ``ptcb_status`` in SQL, with exactly the
    rules of ``certifications.ptcb``. The latest extension is the stored column
    ``Technician.ptcb_extended_to`` (kept by ``PtcbExtension.save`` and ``delete``), so the
    deadline costs no subquery however often a query refers to it."""
    holds = current_certifications(on=today).filter(counted_as_q(CPHT), technician=OuterRef("pk"))
    return qs.annotate(
        ptcb_policy_deadline=AddMonths("hire_date", window_months),
        ptcb_holds_cpht=Exists(holds),
    ).annotate(
        ptcb_deadline=Coalesce("ptcb_extended_to", "ptcb_policy_deadline"),
        ptcb_status=Case(
            When(ptcb_holds_cpht=True, then=Value(PtcbStatus.MET)),
            When(ptcb_deadline__lt=today, then=Value(PtcbStatus.OVERDUE)),
            When(ptcb_deadline__lte=today + dt.timedelta(days=DUE_SOON_DAYS), then=Value(PtcbStatus.DUE_SOON)),
            default=Value(PtcbStatus.ON_TRACK),
            output_field=CharField(),
        ),
    )


def with_practice_readiness(qs: QuerySet[Technician], *, pass_mark: int) -> QuerySet[Technician]:
    """The two latest practice scores and the readiness signal, as annotations."""
    latest = PracticeTest.objects.filter(technician=OuterRef("pk")).order_by("-taken_on", "-id")
    return qs.annotate(
        practice_latest=Subquery(latest.values("score")[:1], output_field=IntegerField()),
        practice_previous=Subquery(latest.values("score")[1:2], output_field=IntegerField()),
    ).annotate(
        practice_ready=Case(
            When(practice_latest__gte=pass_mark, practice_previous__gte=pass_mark, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def ptcb_roster(*, viewer, today: dt.date, site: int | None = None, status: str | None = None) -> QuerySet[Technician]:
    """Employed technicians in scope who do not hold CPhT yet, soonest deadline first."""
    policy = policy_get()
    qs = scope_to_viewer(
        Technician.objects.select_related("site"), viewer=viewer, technician_field="", record=Record.CERTIFICATIONS
    )
    qs = qs.exclude(status=Technician.Status.TERMINATED)
    if site:
        qs = qs.filter(site_id=site)
    qs = with_ptcb(qs, today=today, window_months=policy.ptcb_window_months)
    qs = with_practice_readiness(qs, pass_mark=policy.practice_pass_mark).exclude(ptcb_status=PtcbStatus.MET)
    if status:
        qs = qs.filter(ptcb_status=status)
    return qs.order_by("ptcb_deadline", "last_name", "first_name", "id")


def ptcb_counts(*, viewer, today: dt.date, site: int | None = None) -> dict[str, int]:
    """Employed technicians in scope per PTCB status, in one query."""
    policy = policy_get()
    qs = scope_to_viewer(Technician.objects.all(), viewer=viewer, technician_field="", record=Record.CERTIFICATIONS)
    qs = qs.exclude(status=Technician.Status.TERMINATED)
    if site:
        qs = qs.filter(site_id=site)
    qs = with_ptcb(qs, today=today, window_months=policy.ptcb_window_months)
    rows = dict(qs.order_by().values_list("ptcb_status").annotate(n=Count("id")))
    return {value: rows.get(value, 0) for value, _ in PtcbStatus.choices}


# --- Held certifications ------------------------------------------------------------------


def certification_list(
    *,
    viewer,
    today: dt.date,
    technician: int | None = None,
    site: int | None = None,
    status: str | None = None,
    type_code: str | None = None,
    verified: bool | None = None,
) -> QuerySet[Certification]:
    policy = policy_get()
    qs = scope_to_viewer(
        Certification.objects.select_related("type", "technician", "technician__site", "verified_by", "rejected_by"),
        viewer=viewer,
        record=Record.CERTIFICATIONS,
    )
    qs = with_certification_status(qs, today=today, expiring_days=policy.expiring_days)
    if technician:
        qs = qs.filter(technician_id=technician)
    if site:
        qs = qs.filter(technician__site_id=site)
    if status:
        qs = qs.filter(status=status)
    if type_code:
        qs = qs.filter(type__code=type_code)
    if verified is not None:
        qs = qs.filter(verified_at__isnull=not verified)
    return qs


def certification_get(*, viewer, pk, today: dt.date) -> Certification:
    """One certification in scope; raises ``Certification.DoesNotExist`` otherwise (a 404)."""
    return certification_list(viewer=viewer, today=today).get(pk=pk)


def verification_queue(*, viewer, today: dt.date, site: int | None = None) -> QuerySet[Certification]:
    """Self-reported certifications waiting for a manager, oldest first. A viewer's own
    records are left out: nobody verifies their own."""
    qs = certification_list(viewer=viewer, today=today, site=site).filter(
        verified_at__isnull=True, rejected_at__isnull=True
    )
    if getattr(viewer, "technician_id", None):
        qs = qs.exclude(technician_id=viewer.technician_id)
    return qs.exclude(technician__status=Technician.Status.TERMINATED).order_by("created_at", "id")


def expiring_certifications(*, viewer, today: dt.date, site: int | None = None) -> QuerySet[Certification]:
    """Verified certifications of employed technicians that are expiring or expired and not
    superseded by a later one of the same type or of an upgrade of it, soonest first. A record
    upgraded to a verified one (a CPhT now a CPhT-Adv) renews as the upgrade, which is listed
    instead (``renews_as_upgrade``)."""
    newer = Certification.objects.filter(
        Q(type=OuterRef("type")) | Q(type__upgrade_of=OuterRef("type")),
        technician=OuterRef("technician"),
        expires_on__gt=OuterRef("expires_on"),
    )
    qs = certification_list(viewer=viewer, today=today, site=site).filter(
        verified_at__isnull=False, status__in=[CertificationStatus.EXPIRING, CertificationStatus.EXPIRED]
    )
    return (
        qs.exclude(technician__status=Technician.Status.TERMINATED)
        .exclude(Exists(newer))
        .exclude(upgraded_to__verified_at__isnull=False)
        .order_by("expires_on", "technician__last_name", "id")
    )


# --- Other technician records -------------------------------------------------------------


def practice_test_list(*, viewer, technician: int | None = None) -> QuerySet[PracticeTest]:
    qs = scope_to_viewer(PracticeTest.objects.select_related("technician"), viewer=viewer, record=Record.PRACTICE_TESTS)
    if technician:
        qs = qs.filter(technician_id=technician)
    return qs.order_by("-taken_on", "-id")


def ce_credit_list(*, viewer, technician: int | None = None) -> QuerySet[CECredit]:
    qs = scope_to_viewer(CECredit.objects.select_related("technician"), viewer=viewer, record=Record.CE_CREDITS)
    if technician:
        qs = qs.filter(technician_id=technician)
    return qs.order_by("-completed_on", "-id")


def ptcb_extension_list(*, viewer, technician: int | None = None) -> QuerySet[PtcbExtension]:
    qs = scope_to_viewer(
        PtcbExtension.objects.select_related("technician", "granted_by"), viewer=viewer, record=Record.CERTIFICATIONS
    )
    if technician:
        qs = qs.filter(technician_id=technician)
    return qs.order_by("-id")


def attestation_list(*, viewer, certification: int | None = None) -> QuerySet[Attestation]:
    qs = scope_to_viewer(
        Attestation.objects.select_related("certification", "certification__type", "recorded_by"),
        viewer=viewer,
        technician_field="certification__technician",
        record=Record.CERTIFICATIONS,
    )
    if certification:
        qs = qs.filter(certification_id=certification)
    return qs.order_by("-attested_on", "-id")


def certification_type_list() -> QuerySet[CertificationType]:
    return CertificationType.objects.select_related("requires", "upgrade_of").order_by("category", "code")


TYPE_HISTORY_SHOWN = 30


def certification_type_history(*, certification_type: CertificationType) -> list:
    """The latest changes to one type and its renewal rule, newest first, with who made them
    (hr reads them on the type's page; the rule is organisation policy)."""
    return list(
        certification_type.history.select_related("history_user").order_by("-history_date", "-history_id")[
            :TYPE_HISTORY_SHOWN
        ]
    )


# --- One technician's standing ------------------------------------------------------------


def practice_overview(*, technician, pass_mark: int | None = None) -> dict:
    """Readiness, weakest domain and the attempts (oldest first, for the chart)."""
    pass_mark = pass_mark if pass_mark is not None else policy_get().practice_pass_mark
    tests = list(PracticeTest.objects.filter(technician=technician).order_by("-taken_on", "-id"))
    attempts = [Attempt(taken_on=t.taken_on, score=t.score, domain_scores=t.domain_scores) for t in tests]
    summary = practice_summary(attempts_newest_first=attempts, pass_mark=pass_mark)
    return {**asdict(summary), "tests": tests}


def renewal_progress_for(
    *, technician, today: dt.date, certifications=None, credits: list[CreditLine] | None = None
) -> list[dict]:
    """Renewal progress of each unexpired certification whose type has a CE rule or an
    attestation. A record upgraded to another (a CPhT now a CPhT-Adv) does not renew on its
    own: only the upgrade is listed, so the technician renews once. ``certifications`` (every
    record of the technician, with ``type``) saves reading them again. Decision: the
    attestations and CE credits are read whatever the records are, so a page costs the same
    queries for every technician (three, or two with ``certifications``)."""
    if certifications is None:
        certifications = list(
            Certification.objects.filter(technician=technician).select_related("type", "type__requires", "upgraded_to")
        )
    upgraded = {c.upgraded_from_id for c in certifications if c.upgraded_from_id and is_current(c, on=today)}
    by_pk = {c.pk: c for c in certifications}
    held_codes = with_upgraded(c.type.code for c in certifications if is_current(c, on=today))
    held = sorted(
        (c for c in certifications if c.expires_on is not None and c.expires_on > today and c.pk not in upgraded),
        key=lambda c: (c.expires_on, c.pk),
    )
    held = [c for c in held if RenewalRule.of(c.type).applies]
    attestations: dict[int, list[AttestationLine]] = defaultdict(list)
    for cert_id, attested_on, supervisor, qualification in (
        Attestation.objects.filter(certification__technician=technician, certification__expires_on__gt=today)
        .order_by("attested_on", "id")
        .values_list("certification_id", "attested_on", "supervisor_name", "supervisor_qualification")
    ):
        attestations[cert_id].append(AttestationLine(attested_on, supervisor, qualification))
    if credits is None:
        credits = credit_lines(technician=technician)
    return [
        _renewal_row(
            cert,
            credits=credits,
            attestations=attestations[cert.pk],
            today=today,
            held_codes=held_codes,
            upgraded_from=by_pk.get(cert.upgraded_from_id),
        )
        for cert in held
    ]


def credit_lines(*, technician) -> list[CreditLine]:
    """The technician's CE credits as the renewal rules count them (one query)."""
    return credit_lines_by_technician(technician_ids=[technician.pk]).get(technician.pk, [])


def credit_lines_by_technician(
    *, technician_ids: Iterable[int], until: dt.date | None = None
) -> dict[int, list[CreditLine]]:
    """CE credits of these technicians (completed up to ``until``, when given), oldest first, as
    the renewal rules count them: one query for all of them."""
    rows = CECredit.objects.filter(technician_id__in=list(technician_ids))
    if until is not None:
        rows = rows.filter(completed_on__lte=until)
    lines: dict[int, list[CreditLine]] = defaultdict(list)
    for tech_id, completed_on, topic, audience, hours, source, verified_at in rows.order_by(
        "completed_on", "id"
    ).values_list("technician_id", "completed_on", "topic", "audience", "hours", "source", "verified_at"):
        lines[tech_id].append(CreditLine(completed_on, topic, audience, hours, source, verified_at is not None))
    return lines


def cycle_issued_on(cert: Certification, *, upgraded_from: Certification | None = None) -> dt.date:
    """The issue date a renewal cycle is counted from: an upgrade continues the cycle of the
    record it upgraded (PTCB: same cycle), so its cycle may start before its own issue date."""
    return cert.issued_on if upgraded_from is None else min(cert.issued_on, upgraded_from.issued_on)


def _requirement_words(cert_type: CertificationType, held_codes: set[str]) -> str:
    if not cert_type.requires_id or cert_type.requires.code in held_codes:
        return ""
    return f"an active {_short(cert_type.requires.code)}"


def _renewal_row(
    cert: Certification,
    *,
    credits: list[CreditLine],
    attestations: list[AttestationLine],
    today: dt.date,
    held_codes: set[str] | None = None,
    upgraded_from: Certification | None = None,
) -> dict:
    """One renewal row, its cycle counted from ``cycle_issued_on``."""
    rule = RenewalRule.of(cert.type)
    progress = renewal_progress(
        rule=rule,
        issued_on=cycle_issued_on(cert, upgraded_from=upgraded_from),
        expires_on=cert.expires_on,
        credits=credits,
        attestations=attestations,
        today=today,
        requirement_missing=_requirement_words(cert.type, held_codes) if held_codes is not None else "",
    )
    return {
        "certification": cert.pk,
        "type": cert.type.code,
        "name": cert.type.name,
        "verified": cert.verified,
        **asdict(progress),
    }


def reinstatements_for(*, technician, today: dt.date, certifications: list, credits: list[CreditLine]) -> list[dict]:
    """Expired credentials the technician may still reinstate, or may not any more, one per
    type whose rule allows reinstatement (CPhT, CPhT-Adv): the latest record of the type, when
    nothing current counts as it (no later record, no upgrade, no reinstated record).
    ``status`` ``reinstate`` (with the CE counted toward it and ``deadline``) or ``lapsed``
    (retake the exam). Decision: a lapse stays on the record while nothing replaces it."""
    held_codes = with_upgraded(c.type.code for c in certifications if is_current(c, on=today))
    latest: dict[str, Certification] = {}
    for c in certifications:
        if c.expires_on is None or not c.verified:
            continue
        known = latest.get(c.type.code)
        if known is None or (c.expires_on, c.pk) > (known.expires_on, known.pk):
            latest[c.type.code] = c
    upgraded = {c.upgraded_from_id for c in certifications if c.upgraded_from_id}
    rows = []
    for code, cert in sorted(latest.items()):
        rule = RenewalRule.of(cert.type)
        if not rule.reinstatable or cert.expires_on > today or code in held_codes or cert.pk in upgraded:
            continue
        progress = reinstatement_progress(
            rule=rule, issued_on=cert.issued_on, expires_on=cert.expires_on, credits=credits, today=today
        )
        rows.append({"certification": cert.pk, "type": code, "name": cert.type.name, **asdict(progress)})
    return rows


def cpht_adv_distance(*, technician, today: dt.date, held_codes: set[str] | None = None) -> dict:
    """How far a technician is from PTCB's Advanced CPhT: an active CPhT, at least 3 years of
    technician work in the last 8, and 4 assessment-based certificates or 3 plus CSPT.

    Decision: experience is counted at this organisation from the hire date (to the
    termination date), within the last 8 years; PTCB also accepts work elsewhere, which the
    technician attests to PTCB directly and which we do not record.
    """
    if held_codes is None:
        held_codes = certification_codes_held(technician_ids=[technician.pk], on=today).get(technician.pk, set())
    assessment_codes = set(
        CertificationType.objects.filter(category=CertificationType.Category.ASSESSMENT).values_list("code", flat=True)
    )
    certificates = len(held_codes & assessment_codes)
    held_codes = with_upgraded(held_codes)
    has_cspt = CSPT in held_codes
    has_cpht = CPHT in held_codes
    window_start = max(technician.hire_date, add_months(today, -96))
    work_end = min(today, technician.termination_date) if technician.termination_date else today
    months = max(0.0, months_between(window_start, work_end)) if work_end > window_start else 0.0
    months_needed = 36
    certificates_needed = 3 if has_cspt else 4
    missing: list[str] = []
    if not has_cpht:
        missing.append("an active CPhT")
    if months < months_needed:
        short = months_needed - months
        missing.append(f"{short:.0f} more month{'s' if round(short) != 1 else ''} of technician work")
    if certificates < certificates_needed:
        more = certificates_needed - certificates
        words = f"{more} more assessment-based certificate{'s' if more != 1 else ''}"
        if not has_cspt and more > 1:
            words += f" (or {more - 1} more plus CSPT)"
        elif not has_cspt:
            words += " (or CSPT)"
        missing.append(words)
    held_adv = CPHT_ADV in held_codes
    if held_adv:
        message = "You hold the Advanced CPhT."
    elif not missing:
        message = "Eligible to apply for the Advanced CPhT."
    else:
        message = "To earn the Advanced CPhT: " + _join(missing) + "."
    return {
        "holds": held_adv,
        "eligible": not missing,
        "has_cpht": has_cpht,
        "experience_months": round(months, 1),
        "experience_months_needed": months_needed,
        "certificates_held": certificates,
        "certificates_needed": certificates_needed,
        "has_cspt": has_cspt,
        "missing": missing,
        "message": message,
    }


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def technician_certifications(*, technician, today: dt.date, policy: OrgPolicy | None = None) -> list[dict]:
    """Every certification record of one technician with its status, newest first per type."""
    policy = policy or policy_get()
    held = list(
        with_certification_status(
            Certification.objects.filter(technician=technician).select_related(
                "type", "type__requires", "verified_by", "upgraded_to", "upgraded_to__type"
            ),
            today=today,
            expiring_days=policy.expiring_days,
        ).order_by("type__category", "type__code", "-issued_on", "-id")
    )
    # What counts as held is the one rule (``is_current``), as for the ladder and the PTCB status.
    current_codes = with_upgraded(c.type.code for c in held if is_current(c, on=today))
    rows = []
    for c in held:
        c.needs_required = bool(c.type.requires_id and c.type.requires.code not in current_codes)
        upgrade = getattr(c, "upgraded_to", None)
        c.upgraded = upgrade if upgrade is not None and is_current(upgrade, on=today) else None
        c.awaiting_verification = awaits_verification(c, on=today)
        rows.append(c)
    return rows


EXPIRED_SHOWN_DAYS = 180


def deadlines_for(
    *,
    technician,
    today: dt.date,
    ptcb: dict,
    renewals: list[dict],
    certifications: list,
    reinstatements: list[dict] = (),
) -> list[dict]:
    """The technician's dated to-dos in plain words, soonest first: PTCB, renewals still
    needing CE or an attestation (or open for application), and certifications expiring or
    expired (not superseded by a later one of the same type). Decision: an expiry stays on the
    list for 180 days; after that it is history, still shown as expired among the records."""
    items: list[dict] = []
    employed = technician.status != Technician.Status.TERMINATED
    if ptcb["status"] != PtcbStatus.MET and employed and not reinstatements:
        items.append(
            {
                "date": ptcb["deadline"],
                "text": ptcb["summary"],
                "detail": f"Hold CPhT by {format_day(ptcb['deadline'])}"
                + (" (extended)" if ptcb.get("extended") else ""),
                "severity": {"overdue": "danger", "due_soon": "warning"}.get(ptcb["status"], "info"),
            }
        )
    renewal_ids = {r["certification"] for r in reinstatements}
    for r in reinstatements if employed else ():
        short = _short(r["type"])
        if r["status"] == "reinstate":
            items.append(
                {
                    "date": r["deadline"],
                    "text": f"{short} expired \u2014 reinstate by {format_day(r['deadline'])}",
                    "detail": r["message"],
                    "severity": "danger",
                }
            )
        else:
            items.append(
                {
                    "date": r["deadline"],
                    "text": f"{short} lapsed beyond reinstatement: retake the exam",
                    "detail": r["message"],
                    "severity": "danger",
                }
            )
    for r in renewals:
        renewal_ids.add(r["certification"])
        if r["complete"] and r["phase"] == "not_open":
            continue
        items.append(
            {
                "date": r["due_on"],
                "text": f"{_short(r['type'])} renewal due {days_words((r['due_on'] - today).days)}",
                "detail": r["message"],
                "severity": {"overdue": "danger", "due_soon": "warning", "complete": "success"}.get(
                    r["status"], "info"
                ),
            }
        )
    latest_expiry: dict[str, dt.date | None] = {}
    table = upgrades()
    for c in certifications:
        code = c.type.code
        if c.expires_on and (code not in latest_expiry or (latest_expiry[code] or dt.date.min) < c.expires_on):
            latest_expiry[code] = c.expires_on
    for c in certifications:
        if c.expires_on is None or c.expires_on != latest_expiry.get(c.type.code) or c.pk in renewal_ids:
            continue
        # Superseded by its upgrade (a CPhT by the CPhT-Adv), as ``expiring_certifications``.
        upgrade_expiries = [latest_expiry.get(up) for up, base in table.items() if base == c.type.code]
        if renews_as_upgrade(c) or any(e and e > c.expires_on for e in upgrade_expiries):
            continue
        if c.status == CertificationStatus.EXPIRING:
            text = f"{_short(c.type.code)} expires {days_words((c.expires_on - today).days)}"
            items.append(
                {
                    "date": c.expires_on,
                    "text": text,
                    "detail": f"Expires {format_day(c.expires_on)}",
                    "severity": "warning",
                }
            )
        elif (
            c.status == CertificationStatus.EXPIRED
            and technician.status != Technician.Status.TERMINATED
            and (today - c.expires_on).days <= EXPIRED_SHOWN_DAYS
        ):
            items.append(
                {
                    "date": c.expires_on,
                    "text": f"{_short(c.type.code)} expired {days_words((c.expires_on - today).days)}",
                    "detail": f"Expired {format_day(c.expires_on)}",
                    "severity": "danger",
                }
            )
    items.sort(key=lambda item: item["date"])
    return items


SHORT_NAMES = {"CPHT": "CPhT", "CPHT_ADV": "CPhT-Adv", "CSPT": "CSPT", "STATE_REG": "State registration", "BLS": "BLS"}


def short_name(code: str) -> str:
    """The name a pharmacy uses for a credential: CPHT_ADV -> "CPhT-Adv"."""
    return SHORT_NAMES.get(code, code.replace("_", " ").title())


_short = short_name


def technician_standing(*, technician, today: dt.date) -> dict:
    """Everything the certification pages show about one technician, in a fixed number of
    queries: PTCB, certification records (with ``status``), renewal/CE progress, practice
    tests, the distance to CPhT-Adv and the dated to-dos in plain words."""
    policy = policy_get()
    certifications = technician_certifications(technician=technician, today=today, policy=policy)
    ptcb = ptcb_for(technician=technician, today=today, policy=policy, certifications=certifications)
    credits = credit_lines(technician=technician)
    renewals = renewal_progress_for(technician=technician, today=today, certifications=certifications, credits=credits)
    reinstatements = reinstatements_for(
        technician=technician, today=today, certifications=certifications, credits=credits
    )
    held_codes = {c.type.code for c in certifications if is_current(c, on=today)}
    practice = practice_overview(technician=technician, pass_mark=policy.practice_pass_mark)
    return {
        "ptcb": ptcb,
        "certifications": certifications,
        "renewals": renewals,
        "reinstatements": reinstatements,
        "held_codes": held_codes,
        "practice": practice,
        "cpht_adv": cpht_adv_distance(technician=technician, today=today, held_codes=held_codes),
        "deadlines": deadlines_for(
            technician=technician,
            today=today,
            ptcb=ptcb,
            renewals=renewals,
            certifications=certifications,
            reinstatements=reinstatements,
        ),
    }


def certification_progress(*, technician, today: dt.date) -> dict:
    """The certification part of ``technicians/{id}/progress/``: ``ptcb``, ``certifications``
    with status, ``ce_progress`` per held certification with a renewal rule,
    ``practice_tests``, ``cpht_adv`` and ``deadlines``."""
    standing = technician_standing(technician=technician, today=today)
    return {
        "ptcb": standing["ptcb"],
        "certifications": [
            {
                "id": c.pk,
                "type": c.type.code,
                "name": c.type.name,
                "number": c.number,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "status": c.status,
                "verified": c.verified,
                "self_reported": c.self_reported,
                "awaiting_verification": c.awaiting_verification,
                "upgraded_to": c.upgraded.type.code if c.upgraded else None,
            }
            for c in standing["certifications"]
        ],
        "ce_progress": standing["renewals"],
        "reinstatements": standing["reinstatements"],
        "practice_tests": {k: v for k, v in standing["practice"].items() if k != "tests"},
        "cpht_adv": standing["cpht_adv"],
        "deadlines": standing["deadlines"],
    }


POLICY_HISTORY_PAGE_SIZE = 50


def policy_history(*, viewer, page: int | str | None = 1):
    """A page of the organisation policy's audit trail, newest first, as
    ``careerladder.core.audit.HistoryEntry`` objects (hr and admin only; to anyone else the
    history does not exist). Each row is diffed against the next older one, so a page costs
    three queries whatever its length."""
    from django.core.paginator import Paginator

    from careerladder.core import audit
    from technicians.permissions import can_read_history

    if not can_read_history(viewer):
        raise OrgPolicy.DoesNotExist("Only HR and administrators read the policy history.")
    rows = OrgPolicy.history.select_related("history_user").order_by("-history_date", "-history_id")
    result = Paginator(rows, POLICY_HISTORY_PAGE_SIZE).get_page(page)
    bottom = (result.number - 1) * POLICY_HISTORY_PAGE_SIZE
    # The page's rows plus the one before the oldest of them, its predecessor.
    records = list(rows[bottom : bottom + POLICY_HISTORY_PAGE_SIZE + 1]) if result.paginator.count else []
    fmt = audit.HistoryFormatter({OrgPolicy: audit.HistorySpec(labels=dict(POLICY_LABELS))})
    fmt.prefetch(records)
    result.object_list = [
        audit.history_entry(
            record,
            records[i + 1] if i + 1 < len(records) else None,
            fmt,
            label="Policy",
            created="Policy created",
        )
        for i, record in enumerate(records[:POLICY_HISTORY_PAGE_SIZE])
    ]
    return result
