"""Reads with rules. This module is the one scoping mechanism: every page and endpoint that
shows sites, technicians or anything belonging to a technician gets its queryset from here.

Scope by role (PRODUCT.md section 1):
- hr and admin: every site and technician;
- manager: the sites they are attached to and everything about the technicians of those sites;
- evaluator: the sites they are attached to, and of their technicians only what signing off
  needs (the ``EVALUATOR_READS`` table below); every other kind of record only of themselves
  (``user.technician_id``, their own record as a technician);
- technician: their own record and site only.
Anything outside the scope simply is not in the queryset, so it answers 404.

A read names the kind of record it shows (``scope_to_viewer(..., record=Record.EVALUATIONS)``);
a read that names none gets the narrowest scope, so a new list that forgets to say what it
shows cannot open an evaluator's colleagues' records.

What an evaluator reads of the other technicians of their sites (``EVALUATOR_READS``):
- names, site and status (``technicians``), tiers and tier history (``tiers``), competencies
  and their rounds (``competencies``), checklist sign-offs (``signoffs``), tech-check-tech
  validation days (``tct_logs``): PRODUCT's list;
- shadowing and rotational-leadership hours (``leadership_hours``): an evaluator records them
  on the same screen as the tech-check-tech days (``competencies.permissions``), so they read what
  they record.
Only of themselves: monthly evaluations, promotion requests, separations and exit interviews
(termination date and type, exit reason, notes, would-rehire), certificates with everything
that hangs on them (attestations, evidence files, PTCB status and extensions), CE credits,
practice tests, incentives, track enrolments, mentoring meetings (beside a mentor's own,
``tracks.selectors.mentoring_meeting_list``), training assignments and rotations. Certificates
are not on PRODUCT's list, so an evaluator sees none of a colleague's, evidence or not: whether
someone holds what a tier asks is the manager's question, not the sign-off's.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from careerladder.core.versions import ViewerScope
from technicians.models import Site, Technician, User

Role = User.Role
ORG_WIDE_ROLES = (Role.HR, Role.ADMIN)
SITE_ROLES = (Role.MANAGER, Role.EVALUATOR)


class Record:
    """The kinds of technician record a read shows (``scope_to_viewer(record=...)``)."""

    TECHNICIANS = "technicians"  # name, site, status, mentor
    TIERS = "tiers"  # tier assignments
    COMPETENCIES = "competencies"  # competency rounds and standing
    SIGNOFFS = "signoffs"
    TCT_LOGS = "tct_logs"
    LEADERSHIP_HOURS = "leadership_hours"
    EVALUATIONS = "evaluations"
    PROMOTIONS = "promotions"
    SEPARATIONS = "separations"  # termination date and type, exit interview
    CERTIFICATIONS = "certifications"  # with attestations, evidence, PTCB status and extensions
    CE_CREDITS = "ce_credits"
    PRACTICE_TESTS = "practice_tests"
    INCENTIVES = "incentives"
    ENROLMENTS = "enrolments"
    MENTORING_MEETINGS = "mentoring_meetings"
    TRAINING = "training"  # training assignments
    ROTATIONS = "rotations"


SITES, OWN = "sites", "own"
# What an evaluator reads of each kind: of every technician of their sites, or only their own
# (the module docstring says why).
EVALUATOR_READS: dict[str, str] = {
    Record.TECHNICIANS: SITES,
    Record.TIERS: SITES,
    Record.COMPETENCIES: SITES,
    Record.SIGNOFFS: SITES,
    Record.TCT_LOGS: SITES,
    Record.LEADERSHIP_HOURS: SITES,
    Record.EVALUATIONS: OWN,
    Record.PROMOTIONS: OWN,
    Record.SEPARATIONS: OWN,
    Record.CERTIFICATIONS: OWN,
    Record.CE_CREDITS: OWN,
    Record.PRACTICE_TESTS: OWN,
    Record.INCENTIVES: OWN,
    Record.ENROLMENTS: OWN,
    Record.MENTORING_MEETINGS: OWN,
    Record.TRAINING: OWN,
    Record.ROTATIONS: OWN,
}
# The technician fields that make up a separation and its exit interview.
SEPARATION_FIELDS = ("termination_date", "termination_type", "exit_reason", "exit_notes", "would_rehire")


def role_of(user) -> str | None:
    if not user or not user.is_authenticated:
        return None
    return user.effective_role


def viewer_site_ids(viewer) -> list[int] | None:
    """Site ids the viewer may see, or ``None`` for all sites."""
    role = role_of(viewer)
    if role in ORG_WIDE_ROLES:
        return None
    if role in SITE_ROLES:
        cache = getattr(viewer, "_site_ids_cache", None)
        if cache is None:
            cache = list(viewer.sites.values_list("id", flat=True))
            viewer._site_ids_cache = cache
        return cache
    if role == Role.TECHNICIAN and viewer.technician_id:
        site_id = Technician.objects.filter(pk=viewer.technician_id).values_list("site_id", flat=True).first()
        return [site_id] if site_id else []
    return []


def viewer_scope(viewer) -> ViewerScope:
    """What a cached read keys on for this viewer (careerladder/core/versions.py): the role,
    the sites in scope and their own technician record. Never the role alone: two technicians
    of one site, or two managers with overlapping sites, see different things."""
    site_ids = viewer_site_ids(viewer)
    return ViewerScope(
        role=role_of(viewer),
        site_ids=None if site_ids is None else tuple(sorted(site_ids)),
        technician_id=getattr(viewer, "technician_id", None) if role_of(viewer) else None,
    )


def _evaluator_reads(record: str | None) -> str:
    if record is None:
        return OWN  # a read that does not say what it shows gets the narrowest scope
    if record not in EVALUATOR_READS:
        raise ValueError(f"Unknown kind of record {record!r}: add it to EVALUATOR_READS.")
    return EVALUATOR_READS[record]


def scope_to_viewer(
    qs: QuerySet, *, viewer, technician_field: str = "technician", record: str | None = None
) -> QuerySet:
    """Restrict any queryset of technician-owned rows to what ``viewer`` may see of ``record``
    (a ``Record`` kind).

    ``technician_field`` is the path from the row to its technician; pass ``""`` for a
    queryset of technicians themselves (then ``record`` says which of their records the
    technicians are listed for).
    """
    role = role_of(viewer)
    prefix = f"{technician_field}__" if technician_field else ""
    own_field = technician_field or "pk"
    if role in ORG_WIDE_ROLES:
        return qs
    if role == Role.EVALUATOR and _evaluator_reads(record) == OWN:
        return qs.filter(**{own_field: viewer.technician_id}) if viewer.technician_id else qs.none()
    if role in SITE_ROLES:
        return qs.filter(**{f"{prefix}site__in": viewer_site_ids(viewer)})
    if role == Role.TECHNICIAN and viewer.technician_id:
        return qs.filter(**{own_field: viewer.technician_id})
    return qs.none()


def reads_all_in_scope(viewer, record: str) -> bool:
    """Whether ``viewer`` reads ``record`` of every technician in their scope, not only of
    their own record: false for an evaluator and a kind ``EVALUATOR_READS`` keeps to their own.
    Depends on the role alone (a cached answer for a role and sites may rely on it)."""
    return not (role_of(viewer) == Role.EVALUATOR and _evaluator_reads(record) == OWN)


def may_read(*, viewer, technician: Technician, record: str) -> bool:
    """Whether ``technician``'s ``record`` is in ``viewer``'s scope: the rule of
    ``scope_to_viewer`` for one technician already at hand, without a query."""
    role = role_of(viewer)
    own = role is not None and bool(viewer.technician_id) and viewer.technician_id == technician.pk
    if role in ORG_WIDE_ROLES:
        return True
    if role == Role.EVALUATOR and _evaluator_reads(record) == OWN:
        return own
    if role in SITE_ROLES:
        return technician.site_id in (viewer_site_ids(viewer) or [])
    return role == Role.TECHNICIAN and own


def technician_as_seen(*, viewer, technician: Technician) -> Technician:
    """``technician`` as ``viewer`` may read it: a copy with the separation and exit-interview
    fields emptied when those are not the viewer's to read (never saved)."""
    if may_read(viewer=viewer, technician=technician, record=Record.SEPARATIONS):
        return technician
    shown = copy.copy(technician)
    for name in SEPARATION_FIELDS:
        setattr(shown, name, None if Technician._meta.get_field(name).null else "")
    return shown


def site_count(*, viewer) -> int:
    """How many sites the viewer may see (no query for a manager's few)."""
    site_ids = viewer_site_ids(viewer)
    return len(site_ids) if site_ids is not None else site_list(viewer=viewer).count()


def site_find(*, sites: QuerySet[Site], text: str) -> Site | None:
    """The site of ``sites`` a person typed: its code (any case) first, then, for a number,
    its id (the form links carry). A code wins over an id, so a site coded "0421" is found by
    its code, not taken for site 421."""
    text = (text or "").strip()[:40]
    if not text:
        return None
    site = sites.filter(code__iexact=text).first()
    if site is None and text.isdigit():
        site = sites.filter(pk=int(text)).first()
    return site


def site_list(*, viewer) -> QuerySet[Site]:
    qs = Site.objects.all()
    site_ids = viewer_site_ids(viewer)
    return qs if site_ids is None else qs.filter(pk__in=site_ids)


def _technicians_at_site(status: str):
    counted = (
        Technician.objects.filter(site=OuterRef("pk"), status=status)
        .order_by()
        .values("site")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def site_headcounts(*, viewer) -> QuerySet[Site]:
    """Sites in scope with active / on-leave / terminated counts, in one query. Each count is a
    subquery on the (site, status) index, so a page of 50 sites counts only its own 50, not
    every site of the organisation before cutting the page."""
    return site_list(viewer=viewer).annotate(
        active_count=_technicians_at_site(Technician.Status.ACTIVE),
        leave_count=_technicians_at_site(Technician.Status.LEAVE),
        terminated_count=_technicians_at_site(Technician.Status.TERMINATED),
    )


def compounding_category_of(technician: Technician) -> str:
    """The USP <797> compounding category a technician's re-assessments follow: their own
    (``Technician.compounding_category``) when set, else their site's ("" when neither
    compounds sterile preparations)."""
    if technician.compounding_category:
        return technician.compounding_category
    return technician.site.compounding_category if technician.site_id else ""


def compounding_overrides(*, viewer, site: Site) -> QuerySet[Technician]:
    """Employed technicians of ``site`` in the viewer's scope whose own compounding category
    differs from the site's (the site page lists them beside the site's default)."""
    return (
        scope_to_viewer(Technician.objects.filter(site=site), viewer=viewer, technician_field="")
        .exclude(status=Technician.Status.TERMINATED)
        .exclude(compounding_category="")
        .exclude(compounding_category=site.compounding_category)
        .order_by("last_name", "first_name", "id")
    )


def technicians_in_scope(user, record: str = Record.TECHNICIANS) -> QuerySet[Technician]:
    """The technicians whose ``record`` kind of records ``user`` reads (for the ``technician``
    field of a form or serializer)."""
    return scope_to_viewer(Technician.objects.all(), viewer=user, technician_field="", record=record)


def employed_on(day: dt.date, prefix: str = "") -> Q:
    """Section 3: ``hire_date <= d`` and (no termination date or ``d < termination_date``)."""
    return Q(**{f"{prefix}hire_date__lte": day}) & (
        Q(**{f"{prefix}termination_date__isnull": True}) | Q(**{f"{prefix}termination_date__gt": day})
    )
