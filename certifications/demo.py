"""Demo certification data for ``manage.py seed_demo`` (demo data only: migrations never call it).

``demo_certifications_create(rng=..., today=...)`` reads the technicians already created (and
the demo logins, so call it after them) and gives them, with ``bulk_create``:

- CPhT per the PTCB baseline: most certified within the window (about one in seven already
  certified when hired), some late, some never; renewed every 24 months up to today (a few
  lapsed), so the PTCB KPIs, the overview's overdue / due-soon list and expiring certificates
  all have something to show;
- state registrations, BLS at hospitals and clinics, CSPT with its yearly supervisor
  attestation at hospitals and specialty pharmacies, assessment-based certificates for
  Tech IIIs and Leads;
- CE credits in the current renewal cycle with realistic ACPE UANs, more or less complete;
- PTCE practice tests trending upward for recent hires;
- PTCB extensions for some overdue technicians;
- a few self-reported, unverified certifications at every site (one returned with a reason),
  so the managers' verification queue is not empty;
- incentives from the real triggers, most of the older ones awarded.

The ``technician`` login (hired about seven months ago, PTCB due soon) gets practice tests
that reach the pass mark, a state registration, a BLS card waiting for verification and two CE
credits; the ``evaluator`` login (a long-serving Lead) holds a CPhT whose renewal window is
open with law CE still missing, a CSPT with its attestation and three assessment-based
certificates, which with the CSPT make them eligible for CPhT-Adv.

A few technicians show one rule each (``SHOWCASES``, chosen by hire date and site from the
technicians without a demo login, so the same data set always shows them): a CPhT upgraded to
CPhT-Adv (one renewal, pharmacist-specific hours above the cap), a CPhT expired three months
ago with its reinstatement under way, one lapsed beyond reinstatement, a college course
counted for 10 of its 12 h with non-ACPE CE waiting for verification, a CSPT renewal with
its attestation and sterile-compounding CE still short, and a recent hire whose self-reported
CPhT waits for verification.

Every random choice comes from ``rng``; the same generator state gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from careerladder.core.dates import add_months
from certifications import services
from certifications.acpe import parse_uan
from certifications.models import Attestation, CECredit, Certification, CertificationType, PracticeTest, PtcbExtension
from certifications.practice import DOMAINS
from certifications.selectors import policy_get
from incentives import services as incentives_services
from incentives.models import Incentive
from technicians.models import Site, Technician, User
from tiers.selectors import with_current_tier

HISTORY_REASON = "Demo data (seed_demo)"

SHARE_CERTIFIED_AT_HIRE = 0.14
SHARE_WITHIN_WINDOW = 0.74
SHARE_LATE = 0.08  # the rest never certify
SHARE_LAPSED = 0.03
SHARE_STATE_REGISTRATION = 0.7
SHARE_EXTENDED_WHEN_OVERDUE = 0.35

CE_PROVIDERS = (
    ("0145", "RxLearn Continuing Education"),
    ("0204", "Midwest Pharmacy CE Consortium"),
    ("0129", "State Pharmacists Foundation"),
    ("0530", "Hospital Pharmacy Education Network"),
    ("0859", "Community Pharmacy Academy"),
)
# (topic, title, hours, audience); each becomes a UAN per provider and release year.
CE_CATALOGUE = (
    ("03", "Pharmacy Law Update for Technicians", "1.0", "T"),
    ("03", "Controlled Substances: DEA Rules at the Counter", "1.5", "T"),
    ("03", "HIPAA and Patient Privacy in the Pharmacy", "1.0", "T"),
    ("05", "Look-Alike, Sound-Alike Drugs: Preventing Mix-Ups", "1.0", "T"),
    ("05", "High-Alert Medications and Independent Double Checks", "1.5", "T"),
    ("05", "Reporting Near-Misses: A Just Culture Primer", "1.0", "T"),
    ("01", "Diabetes Medications: What Technicians Should Know", "2.0", "T"),
    ("01", "Anticoagulants Across the Continuum of Care", "1.5", "T"),
    ("01", "Heart Failure Therapy Essentials", "2.0", "T"),
    ("01", "Oncology Supportive Care for Pharmacy Staff", "2.0", "P"),
    ("02", "HIV Pre-Exposure Prophylaxis Basics", "1.0", "T"),
    ("04", "Inventory Management and Drug Shortages", "2.0", "T"),
    ("04", "Insurance Billing: Resolving Common Rejections", "1.5", "T"),
    ("04", "Medication Therapy Management Support", "2.0", "T"),
    ("06", "Immunization Basics for Pharmacy Technicians", "2.0", "T"),
    ("06", "Vaccine Storage and Handling", "1.0", "T"),
    ("07", "USP <797> Garbing and Aseptic Technique Refresher", "2.0", "T"),
    ("07", "USP <795> Nonsterile Compounding Update", "1.5", "T"),
    ("08", "Opioid Stewardship in Community Pharmacy", "1.0", "T"),
    ("08", "Naloxone Dispensing and Counseling Support", "1.0", "P"),
)
PRACTICE_SOURCES = (
    "Medical Hero",
    "Medical Hero",
    "Medical Hero",
    "PTCB Official Practice Exam",
    "Pharmacy Tech Scholar",
)
EXTENSION_REASONS = (
    "Exam appointment rescheduled by the test centre.",
    "Medical leave during the window; extended by the time away.",
    "Failed the first attempt by a few points; retake booked.",
    "Completing the accredited training programme first.",
)
RETURN_REASONS = (
    "The number does not match PTCB's verification lookup; please check it.",
    "The photo of the card is unreadable; please upload a clearer scan.",
)
ASSESSMENT_CODES = ("TPV", "MED_HISTORY", "HD_MGMT", "BILLING", "CSDP", "IMMUNIZATION", "POCT", "SUPPLY_CHAIN")
SUPERVISORS = ("Dana Reyes, PharmD", "Michael Chen, RPh", "Priya Nair, PharmD, BCSCP", "Samuel Ortiz, RPh")


@dataclass
class _Plan:
    certifications: list[Certification]
    credits: list[CECredit]
    tests: list[PracticeTest]
    extensions: list[PtcbExtension]
    attest: list[tuple[int, dt.date, str]]  # (technician id, attested on, supervisor) for CSPT holders


def demo_certifications_create(
    *,
    rng: random.Random,
    today: dt.date,
    technician: Technician | None = None,
    evaluator: Technician | None = None,
) -> dict[str, int]:
    """Create the demo certification data for every technician; returns counts by kind.

    ``technician`` and ``evaluator`` are the records behind the demo logins of those names;
    when not given they are looked up through the logins (so call this after the logins exist,
    or pass them)."""
    types = {t.code: t for t in CertificationType.objects.all()}
    window = policy_get().ptcb_window_months
    technicians = list(with_current_tier(Technician.objects.select_related("site")).order_by("pk"))
    logins = {
        u.username: u.technician_id
        for u in User.objects.filter(username__in=("technician", "evaluator"), technician__isnull=False)
    }
    if technician is not None:
        logins["technician"] = technician.pk
    if evaluator is not None:
        logins["evaluator"] = evaluator.pk
    plan = _Plan([], [], [], [], [])
    showcases = _showcase_picks(technicians, today=today, skip=set(logins.values()))
    with transaction.atomic():
        for tech in technicians:
            if tech.pk in showcases:
                showcases[tech.pk](plan, tech, types=types, today=today)
            elif tech.pk == logins.get("technician"):
                _featured_technician(plan, tech, types=types, today=today, window=window)
            elif tech.pk == logins.get("evaluator"):
                _featured_evaluator(plan, tech, types=types, today=today)
            else:
                _ordinary(plan, rng, tech, types=types, today=today, window=window)
        _self_reported(plan, rng, technicians, types=types, today=today, skip=set(logins.values()) | set(showcases))
        plan.credits = _unique_credits(plan.credits)
        bulk_create_with_history(
            plan.certifications, Certification, batch_size=500, default_change_reason=HISTORY_REASON
        )
        _attach_proofs(plan.credits)
        bulk_create_with_history(plan.credits, CECredit, batch_size=500, default_change_reason=HISTORY_REASON)
        services.link_upgrades(technician_ids=list(showcases))
        PracticeTest.objects.bulk_create(plan.tests, batch_size=500)
        bulk_create_with_history(plan.extensions, PtcbExtension, batch_size=500, default_change_reason=HISTORY_REASON)
        services.ptcb_extensions_store_latest()
        attestations = _attestations(plan)
        bulk_create_with_history(attestations, Attestation, batch_size=500, default_change_reason=HISTORY_REASON)
        incentives_services.incentives_evaluate(today=today)
        awarded = _award_older_incentives(rng, today=today)
    return {
        "certifications": len(plan.certifications),
        "ce_credits": len(plan.credits),
        "practice_tests": len(plan.tests),
        "ptcb_extensions": len(plan.extensions),
        "attestations": len(attestations),
        "incentives": Incentive.objects.count(),
        "incentives_awarded": awarded,
    }


# --- Ordinary technicians ----------------------------------------------------------------------


def _ordinary(plan: _Plan, rng: random.Random, tech: Technician, *, types, today: dt.date, window: int) -> None:
    end = min(tech.termination_date or today, today)
    deadline = add_months(tech.hire_date, window)
    draw = rng.random()
    issued: dt.date | None
    if draw < SHARE_CERTIFIED_AT_HIRE:
        issued = tech.hire_date - dt.timedelta(days=rng.randint(30, 1500))
    elif draw < SHARE_CERTIFIED_AT_HIRE + SHARE_WITHIN_WINDOW:
        span = max(30, (deadline - tech.hire_date).days - 5)
        issued = tech.hire_date + dt.timedelta(days=rng.randint(min(60, span - 1), span))
    elif draw < SHARE_CERTIFIED_AT_HIRE + SHARE_WITHIN_WINDOW + SHARE_LATE:
        issued = deadline + dt.timedelta(days=rng.randint(10, 150))
    else:
        issued = None
    if issued is not None and issued > end:
        issued = None  # still studying: the practice tests below show it
    site_kind = tech.site.kind
    if rng.random() < SHARE_STATE_REGISTRATION:
        reg_issued = tech.hire_date - dt.timedelta(days=rng.randint(0, 20))
        plan.certifications.append(
            _cert(
                tech, types["STATE_REG"], reg_issued, _renewed_until(reg_issued, 24, end), number=_reg_number(rng, tech)
            )
        )
    if issued is None:
        _practice_tests(plan, rng, tech, start=tech.hire_date + dt.timedelta(days=25), end=end, today=today)
        if (
            tech.status != Technician.Status.TERMINATED
            and deadline < today
            and rng.random() < SHARE_EXTENDED_WHEN_OVERDUE
        ):
            plan.extensions.append(
                PtcbExtension(
                    technician=tech,
                    extended_to=deadline + dt.timedelta(days=rng.randint(45, 150)),
                    reason=rng.choice(EXTENSION_REASONS),
                    granted_on=min(today, deadline - dt.timedelta(days=rng.randint(0, 20))),
                )
            )
        return
    if issued > tech.hire_date and (today - tech.hire_date).days < 1100:
        _practice_tests(plan, rng, tech, start=tech.hire_date + dt.timedelta(days=25), end=issued, today=today)
    expires = _renewed_until(issued, 24, end)
    if tech.termination_date is None and rng.random() < SHARE_LAPSED and add_months(expires, -24) > issued:
        expires = add_months(expires, -24)  # did not renew last time: expired recently
    plan.certifications.append(_cert(tech, types["CPHT"], issued, expires, number=str(rng.randint(100000, 999999))))
    if expires > today:
        _ce_for_cycle(plan, rng, tech, cycle_start=add_months(expires, -24), today=today, expires=expires)
    if site_kind in (Site.Kind.HOSPITAL, Site.Kind.CLINIC) and rng.random() < 0.6:
        bls = max(tech.hire_date, end - dt.timedelta(days=rng.randint(30, 700)))
        plan.certifications.append(
            _cert(tech, types["BLS"], bls, add_months(bls, 24), number=f"AHA-{rng.randint(10000, 99999)}")
        )
    years_certified = (end - issued).days / 365
    if site_kind in (Site.Kind.HOSPITAL, Site.Kind.SPECIALTY) and years_certified > 1.2 and rng.random() < 0.22:
        cspt_issued = issued + dt.timedelta(days=rng.randint(400, max(401, int(years_certified * 365) - 30)))
        cspt_expires = _renewed_until(cspt_issued, 12, end)
        plan.certifications.append(
            _cert(tech, types["CSPT"], cspt_issued, cspt_expires, number=str(rng.randint(100000, 999999)))
        )
        if cspt_expires > today and rng.random() < 0.8:
            attested = add_months(cspt_expires, -12) + dt.timedelta(days=rng.randint(5, 200))
            if attested <= today:
                plan.attest.append((tech.pk, attested, rng.choice(SUPERVISORS)))
    if getattr(tech, "current_tier_code", None) in ("TECH3", "LEAD") and years_certified > 1:
        for code in rng.sample(ASSESSMENT_CODES, rng.randint(0, 3)):
            day = issued + dt.timedelta(days=rng.randint(200, max(201, int(years_certified * 365))))
            if day <= end:
                plan.certifications.append(_cert(tech, types[code], day, None, number=str(rng.randint(100000, 999999))))


def _renewed_until(issued: dt.date, months: int, end: dt.date) -> dt.date:
    """The expiry after renewing every ``months`` until the expiry falls after ``end``."""
    expires = add_months(issued, months)
    cycles = 1
    while expires <= end:
        cycles += 1
        expires = add_months(issued, months * cycles)
    return expires


def _cert(tech, cert_type, issued, expires, *, number="", verified=True, returned: str = "") -> Certification:
    verified_at = None
    if verified:
        verified_at = timezone.make_aware(dt.datetime.combine(issued + dt.timedelta(days=3), dt.time(10, 0)))
    cert = Certification(
        technician=tech,
        type=cert_type,
        number=number,
        issued_on=issued,
        expires_on=expires,
        verified_at=verified_at,
        self_reported=not verified,
    )
    if returned:
        cert.rejected_at = timezone.now()
        cert.rejection_reason = returned
    return cert


def _reg_number(rng: random.Random, tech: Technician) -> str:
    return f"{tech.site.state}-PT-{rng.randint(100000, 999999)}"


def _ce_for_cycle(plan, rng, tech, *, cycle_start: dt.date, today: dt.date, expires: dt.date) -> None:
    """CE hours roughly in proportion to how much of the cycle has passed, some ahead, some behind."""
    elapsed = max(0.0, min(1.0, (today - cycle_start).days / max(1, (expires - cycle_start).days)))
    target = 20 * elapsed * rng.uniform(0.5, 1.35)
    hours = Decimal(0)
    catalogue = list(CE_CATALOGUE)
    rng.shuffle(catalogue)
    # Law and patient safety are the ones people forget: only some have them.
    if rng.random() < 0.35:
        catalogue = [c for c in catalogue if c[0] != "03"]
    span = max(1, (min(today, expires) - cycle_start).days)
    for index, (topic, title, credit_hours, audience) in enumerate(catalogue):
        if float(hours) >= target:
            break
        completed = cycle_start + dt.timedelta(days=rng.randint(0, span - 1))
        provider_number, provider = CE_PROVIDERS[index % len(CE_PROVIDERS)]
        year = max(completed.year - rng.randint(0, 1), 2000)
        uan = f"{provider_number}-0000-{year % 100:02d}-{rng.randint(1, 999):03d}-H{topic}-{audience}"
        plan.credits.append(_credit(tech, completed, title, provider, uan, Decimal(credit_hours)))
        hours += Decimal(credit_hours)


def _credit(tech, completed, title, provider, uan, hours) -> CECredit:
    parsed = parse_uan(uan)
    return CECredit(
        technician=tech,
        completed_on=completed,
        title=title,
        provider=provider,
        uan=parsed.number,
        activity_type=parsed.activity_type,
        topic=parsed.topic,
        audience=parsed.audience,
        hours=hours,
    )


def _unique_credits(credits: list[CECredit]) -> list[CECredit]:
    seen: set[tuple[int, str]] = set()
    unique = []
    for credit in credits:
        key = (credit.technician_id, credit.uan or credit.title)
        if key not in seen:
            seen.add(key)
            unique.append(credit)
    return unique


def _practice_tests(plan, rng, tech, *, start: dt.date, end: dt.date, today: dt.date, scores=None) -> None:
    """Attempts from ``start`` to ``end``, improving over time, with one weaker domain."""
    end = min(end, today)
    if end <= start:
        return
    count = rng.randint(2, 6) if scores is None else len(scores)
    days = sorted(rng.sample(range(0, (end - start).days + 1), min(count, (end - start).days + 1)))
    first = rng.randint(48, 66)
    last = min(95, first + rng.randint(8, 28))
    weak = rng.choice(list(DOMAINS))
    for index, offset in enumerate(days):
        if scores is not None:
            overall = scores[index]
        else:
            progress = index / max(1, len(days) - 1)
            overall = round(first + (last - first) * progress + rng.uniform(-3, 3))
        domain_scores = {
            key: max(0, min(100, round(overall + rng.uniform(-6, 7) - (11 if key == weak else 0)))) for key in DOMAINS
        }
        plan.tests.append(
            PracticeTest(
                technician=tech,
                taken_on=start + dt.timedelta(days=offset),
                source=rng.choice(PRACTICE_SOURCES),
                score=max(0, min(100, overall)),
                domain_scores=domain_scores,
            )
        )


def _self_reported(plan, rng, technicians, *, types, today: dt.date, skip: set) -> None:
    """One or two self-reported certifications per site awaiting verification, one returned."""
    by_site: dict[int, list[Technician]] = defaultdict(list)
    held_cpht = {
        c.technician_id for c in plan.certifications if c.type.code == "CPHT" and (c.expires_on or today) > today
    }
    for tech in technicians:
        if tech.status == Technician.Status.ACTIVE and tech.pk not in skip:
            by_site[tech.site_id].append(tech)
    returned_once = False
    for site_id in sorted(by_site):
        people = by_site[site_id]
        for tech in rng.sample(people, min(len(people), rng.randint(1, 2))):
            issued = today - dt.timedelta(days=rng.randint(5, 40))
            if tech.pk in held_cpht and rng.random() < 0.6:
                code = rng.choice(("MED_HISTORY", "TPV", "IMMUNIZATION", "BILLING"))
                expires = None
            else:
                code = "BLS"
                expires = add_months(issued, 24)
            reason = ""
            if not returned_once:
                reason, returned_once = rng.choice(RETURN_REASONS), True
            plan.certifications.append(
                _cert(
                    tech,
                    types[code],
                    issued,
                    expires,
                    number=str(rng.randint(100000, 999999)),
                    verified=False,
                    returned=reason,
                )
            )


def _attestations(plan: _Plan) -> list[Attestation]:
    if not plan.attest:
        return []
    latest_cspt = {}
    for cert in Certification.objects.filter(
        type__code="CSPT", technician_id__in=[tech_id for tech_id, _, _ in plan.attest]
    ).order_by("technician_id", "expires_on"):
        latest_cspt[cert.technician_id] = cert
    rows = []
    for tech_id, attested_on, supervisor in plan.attest:
        cert = latest_cspt.get(tech_id)
        if cert is not None and attested_on >= cert.issued_on:
            rows.append(
                Attestation(
                    certification=cert,
                    attested_on=attested_on,
                    supervisor_name=supervisor,
                    supervisor_title="Pharmacy supervisor",
                    supervisor_qualification="Pharmacist, USP <797> designated person",
                    notes="Observed garbing, hand hygiene, aseptic technique and a media fill.",
                )
            )
    return rows


def _award_older_incentives(rng: random.Random, *, today: dt.date) -> int:
    """About three in four incentives older than a month were awarded two to six weeks later."""
    rows = list(Incentive.objects.filter(eligible_on__lte=today - dt.timedelta(days=30)).order_by("pk"))
    awarded = []
    for incentive in rows:
        if rng.random() < 0.75:
            incentive.status = Incentive.Status.AWARDED
            incentive.awarded_on = min(today, incentive.eligible_on + dt.timedelta(days=rng.randint(14, 45)))
            incentive.note = "Processed with payroll."
            awarded.append(incentive)
    Incentive.objects.bulk_update(awarded, ["status", "awarded_on", "note"], batch_size=500)
    return len(awarded)


# --- The two demo logins with a technician record ------------------------------------------


# --- Showcases: one rule each ----------------------------------------------------------------


def _showcase_picks(technicians: list[Technician], *, today: dt.date, skip: set[int]) -> dict[int, object]:
    """Technician id -> the function that gives them their showcase records. Long-serving
    active technicians (hired over six years ago) show the credential cases, hospital staff
    the CSPT renewal, a technician hired two to eight months ago the unverified CPhT."""
    active = [t for t in technicians if t.status == Technician.Status.ACTIVE and t.pk not in skip]
    senior = [t for t in active if (today - t.hire_date).days > 6 * 365]
    hospital = [t for t in senior if t.site.kind == Site.Kind.HOSPITAL]
    recent = [t for t in active if 60 <= (today - t.hire_date).days <= 240]
    picks: dict[int, object] = {}

    def take(pool: list[Technician], make) -> None:
        for tech in pool:
            if tech.pk not in picks:
                picks[tech.pk] = make
                return

    take(senior, _showcase_upgraded_to_adv)
    take(senior, _showcase_reinstating)
    take(senior, _showcase_lapsed)
    take(senior, _showcase_college_course)
    take(hospital or senior, _showcase_cspt_renewal)
    take(recent, _showcase_waiting_verification)
    return picks


def _acpe(tech, completed, title, provider_number, topic, audience, hours, sequence) -> CECredit:
    provider = dict(CE_PROVIDERS)[provider_number]
    uan = f"{provider_number}-0000-{completed.year % 100:02d}-{sequence:03d}-H{topic}-{audience}"
    return _credit(tech, completed, title, provider, uan, Decimal(hours))


def _showcase_upgraded_to_adv(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """CPhT since six years, upgraded to CPhT-Adv ten months ago (same number, same cycle,
    linked after the bulk insert by ``services.link_upgrades``): one renewal of 25 h, with
    8 h pharmacist-specific of which 5 count: 17 h counted of 25, "8 h more CE"."""
    expires = today + dt.timedelta(days=420)
    cpht_issued = add_months(expires, -24 * 3)
    plan.certifications.append(_cert(tech, types["CPHT"], cpht_issued, expires, number="402118"))
    adv_issued = today - dt.timedelta(days=300)
    plan.certifications.append(_cert(tech, types["CPHT_ADV"], adv_issued, expires, number="402118"))
    for offset, code, number in ((14, "TPV", "418001"), (26, "MED_HISTORY", "418002"), (38, "BILLING", "418003")):
        plan.certifications.append(_cert(tech, types[code], add_months(cpht_issued, offset), None, number=number))
    plan.certifications.append(_cert(tech, types["HD_MGMT"], add_months(cpht_issued, 50), None, number="418004"))
    cycle_start = add_months(expires, -24)
    rows = [
        ("03", "Pharmacy Law Update for Technicians", "1.0", "T"),
        ("05", "High-Alert Medications and Independent Double Checks", "1.5", "T"),
        ("01", "Anticoagulants Across the Continuum of Care", "2.0", "T"),
        ("04", "Inventory Management and Drug Shortages", "2.0", "T"),
        ("06", "Immunization Basics for Pharmacy Technicians", "2.0", "T"),
        ("01", "Heart Failure Therapy Essentials", "2.0", "T"),
        ("07", "USP <797> Garbing and Aseptic Technique Refresher", "1.5", "T"),
        ("01", "Oncology Supportive Care for Pharmacy Staff", "4.0", "P"),
        ("08", "Naloxone Dispensing and Counseling Support", "4.0", "P"),
    ]  # 12 h T + 8 h P (5 counted) = 17 h counted of 25
    for index, (topic, title, hours, audience) in enumerate(rows):
        completed = min(today - dt.timedelta(days=3), cycle_start + dt.timedelta(days=20 + index * 30))
        plan.credits.append(_acpe(tech, completed, title, "0530", topic, audience, hours, 600 + index))


def _showcase_reinstating(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """CPhT expired three months ago: 12 h of CE in the lapsed cycle and since, 1 h of law
    of the 2 reinstatement needs: "8 h more CE, incl. 1 h of law to reinstate, by ..."."""
    expired = today - dt.timedelta(days=90)
    issued = add_months(expired, -24 * 2)
    plan.certifications.append(_cert(tech, types["CPHT"], issued, expired, number="377540"))
    cycle_start = add_months(expired, -24)
    rows = [
        ("03", "Controlled Substances: DEA Rules at the Counter", "1.0", "T"),
        ("05", "Reporting Near-Misses: A Just Culture Primer", "1.0", "T"),
        ("01", "Diabetes Medications: What Technicians Should Know", "2.0", "T"),
        ("04", "Insurance Billing: Resolving Common Rejections", "2.0", "T"),
        ("06", "Vaccine Storage and Handling", "2.0", "T"),
        ("01", "Heart Failure Therapy Essentials", "2.0", "T"),
        ("04", "Medication Therapy Management Support", "2.0", "T"),
    ]  # 12 h
    for index, (topic, title, hours, audience) in enumerate(rows):
        completed = min(today - dt.timedelta(days=5), cycle_start + dt.timedelta(days=60 + index * 95))
        plan.credits.append(_acpe(tech, completed, title, "0204", topic, audience, hours, 640 + index))


def _showcase_lapsed(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """CPhT expired 14 months ago and not reinstated: the exam must be retaken."""
    expired = add_months(today, -14)
    plan.certifications.append(_cert(tech, types["CPHT"], add_months(expired, -24), expired, number="361204"))


def _showcase_college_course(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """A 12 h college course counted for 10 h (PTCB's cap), 6 h of ACPE CE with law and
    patient safety, and 2 h from a non-ACPE provider waiting for verification: 16 h counted,
    "4 h more CE (2 h waiting for verification)"."""
    expires = today + dt.timedelta(days=200)
    plan.certifications.append(_cert(tech, types["CPHT"], add_months(expires, -48), expires, number="389912"))
    cycle_start = add_months(expires, -24)
    plan.credits.append(
        _other_credit(
            tech,
            cycle_start + dt.timedelta(days=120),
            "PHAR 210 Pharmacology for Technicians (grade B+)",
            "Madison Area Technical College",
            CECredit.Source.COLLEGE,
            "12",
            verified=True,
        )
    )
    plan.credits.append(
        _other_credit(
            tech,
            min(today - dt.timedelta(days=4), cycle_start + dt.timedelta(days=400)),
            "Hospital Medication Safety Workshop",
            "State Society of Health-System Pharmacists",
            CECredit.Source.NON_ACPE,
            "2",
            topic="05",
            verified=False,
        )
    )
    rows = [
        ("03", "Pharmacy Law Update for Technicians", "1.0", "T"),
        ("05", "Look-Alike, Sound-Alike Drugs: Preventing Mix-Ups", "1.0", "T"),
        ("04", "Inventory Management and Drug Shortages", "2.0", "T"),
        ("01", "Diabetes Medications: What Technicians Should Know", "2.0", "T"),
    ]  # 6 h
    for index, (topic, title, hours, audience) in enumerate(rows):
        completed = min(today - dt.timedelta(days=6), cycle_start + dt.timedelta(days=200 + index * 70))
        plan.credits.append(_acpe(tech, completed, title, "0129", topic, audience, hours, 660 + index))


def _showcase_cspt_renewal(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """CSPT renewing in 100 days: attested by a qualified supervisor this cycle, 1 h of the
    2.5 h of sterile-compounding CE: "1.5 h more CE, incl. 1.5 h of sterile compounding"."""
    cpht_expires = today + dt.timedelta(days=500)
    plan.certifications.append(_cert(tech, types["CPHT"], add_months(cpht_expires, -72), cpht_expires, number="355871"))
    cspt_expires = today + dt.timedelta(days=100)
    cspt_issued = add_months(cspt_expires, -36)
    plan.certifications.append(_cert(tech, types["CSPT"], cspt_issued, cspt_expires, number="CSPT-80412"))
    plan.attest.append((tech.pk, add_months(cspt_expires, -12) + dt.timedelta(days=45), "Priya Nair, PharmD, BCSCP"))
    cycle_start = add_months(cspt_expires, -12)
    completed = min(today - dt.timedelta(days=2), cycle_start + dt.timedelta(days=90))
    plan.credits.append(
        _acpe(tech, completed, "Hazardous Drug Handling under USP <800>", "0530", "07", "T", "1.0", 680)
    )
    cpht_cycle = add_months(cpht_expires, -24)
    for index, (topic, title, hours) in enumerate(
        (("03", "HIPAA and Patient Privacy in the Pharmacy", "1.0"), ("05", "Reporting Near-Misses", "1.0"))
    ):
        plan.credits.append(
            _acpe(tech, cpht_cycle + dt.timedelta(days=30 + index * 30), title, "0145", topic, "T", hours, 690 + index)
        )


def _showcase_waiting_verification(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """Passed the PTCE last week and entered the CPhT themselves: PTCB "waiting for
    verification" until a manager checks it."""
    issued = today - dt.timedelta(days=6)
    plan.certifications.append(
        _cert(tech, types["CPHT"], issued, add_months(issued, 24), number="420733", verified=False)
    )


def _other_credit(tech, completed, title, provider, source, hours, *, topic="", verified) -> CECredit:
    """CE without a UAN, with its proof of completion (attached by ``_attach_proofs``)."""
    credit = CECredit(
        technician=tech,
        completed_on=completed,
        title=title,
        provider=provider,
        source=source,
        uan="",
        activity_type="",
        topic=topic,
        audience=CECredit.Audience.TECHNICIAN,
        hours=Decimal(hours),
    )
    if verified:
        credit.verified_at = timezone.make_aware(dt.datetime.combine(completed + dt.timedelta(days=7), dt.time(9, 0)))
    return credit


def _attach_proofs(credits: list[CECredit]) -> None:
    """A one-page PDF "certificate of completion" for each CE credit without a UAN."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from pypdf import PdfWriter

    for credit in credits:
        if credit.source == CECredit.Source.ACPE or credit.evidence:
            continue
        writer = PdfWriter()
        writer.add_blank_page(width=612, height=396)
        writer.add_metadata({"/Title": f"Certificate of completion: {credit.title}"})
        buffer = BytesIO()
        writer.write(buffer)
        name = default_storage.save(
            f"evidence/ce/demo/proof-{credit.technician_id}.pdf", ContentFile(buffer.getvalue())
        )
        credit.evidence.name = name


def _featured_technician(plan: _Plan, tech: Technician, *, types, today: dt.date, window: int) -> None:
    """Hired about seven months ago: PTCB due soon, practice tests now at the pass mark."""
    plan.certifications.append(
        _cert(
            tech,
            types["STATE_REG"],
            tech.hire_date,
            add_months(tech.hire_date, 24),
            number=f"{tech.site.state}-PT-204118",
        )
    )
    plan.certifications.append(
        _cert(
            tech,
            types["BLS"],
            today - dt.timedelta(days=19),
            add_months(today - dt.timedelta(days=19), 24),
            number="AHA-58213",
            verified=False,
        )
    )
    scores = (58, 64, 69, 76, 79)
    start = max(tech.hire_date + dt.timedelta(days=20), today - dt.timedelta(days=150))
    for index, overall in enumerate(scores):
        taken = start + dt.timedelta(days=index * 30)
        if taken > today:
            taken = today - dt.timedelta(days=len(scores) - index)
        plan.tests.append(
            PracticeTest(
                technician=tech,
                taken_on=taken,
                source="Medical Hero" if index != 3 else "PTCB Official Practice Exam",
                score=overall,
                domain_scores={
                    "medications": overall + 6,
                    "federal_requirements": overall - 12,
                    "patient_safety": overall - 3,
                    "order_entry": overall + 2,
                },
            )
        )
    plan.credits.append(
        _credit(
            tech,
            start + dt.timedelta(days=12),
            "Pharmacy Law Update for Technicians",
            "RxLearn Continuing Education",
            f"0145-0000-{start.year % 100:02d}-031-H03-T",
            Decimal("1.0"),
        )
    )
    plan.credits.append(
        _credit(
            tech,
            start + dt.timedelta(days=70),
            "Look-Alike, Sound-Alike Drugs: Preventing Mix-Ups",
            "Community Pharmacy Academy",
            f"0859-0000-{start.year % 100:02d}-112-L05-T",
            Decimal("1.5"),
        )
    )


def _featured_evaluator(plan: _Plan, tech: Technician, *, types, today: dt.date) -> None:
    """A Lead whose CPhT renewal window is open with law CE missing; CSPT plus three
    assessment-based certificates: eligible for CPhT-Adv."""
    expires = today + dt.timedelta(days=52)
    issued = add_months(expires, -24 * 3)  # certified six years ago, renewed twice
    plan.certifications.append(_cert(tech, types["CPHT"], issued, expires, number="318207"))
    cycle_start = add_months(expires, -24)
    catalogue = [
        ("05", "High-Alert Medications and Independent Double Checks", "1.5", "T", "0530"),
        ("01", "Anticoagulants Across the Continuum of Care", "2.0", "T", "0145"),
        ("07", "USP <797> Garbing and Aseptic Technique Refresher", "2.0", "T", "0530"),
        ("04", "Inventory Management and Drug Shortages", "2.0", "T", "0204"),
        ("01", "Heart Failure Therapy Essentials", "2.0", "T", "0145"),
        ("06", "Immunization Basics for Pharmacy Technicians", "2.0", "T", "0129"),
        ("04", "Medication Therapy Management Support", "2.0", "T", "0859"),
        ("01", "Oncology Supportive Care for Pharmacy Staff", "2.0", "P", "0530"),
        ("08", "Opioid Stewardship in Community Pharmacy", "1.0", "T", "0204"),
        ("01", "Diabetes Medications: What Technicians Should Know", "1.0", "T", "0129"),
    ]  # 17.5 h, no law: "2.5 h more CE, incl. 1 h of law"
    for index, (topic, title, hours, audience, provider_number) in enumerate(catalogue):
        completed = cycle_start + dt.timedelta(days=40 + index * 60)
        provider = dict(CE_PROVIDERS)[provider_number]
        uan = f"{provider_number}-0000-{completed.year % 100:02d}-{200 + index:03d}-H{topic}-{audience}"
        plan.credits.append(_credit(tech, completed, title, provider, uan, Decimal(hours)))
    cspt_issued = add_months(issued, 30)
    cspt_expires = _renewed_until(cspt_issued, 12, today)
    plan.certifications.append(_cert(tech, types["CSPT"], cspt_issued, cspt_expires, number="CSPT-77120"))
    plan.attest.append((tech.pk, add_months(cspt_expires, -12) + dt.timedelta(days=20), "Dana Reyes, PharmD"))
    for offset, code, number in ((36, "TPV", "411093"), (44, "MED_HISTORY", "411907"), (58, "HD_MGMT", "412655")):
        plan.certifications.append(_cert(tech, types[code], add_months(issued, offset), None, number=number))
