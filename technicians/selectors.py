"""Reads with rules. This module is the one scoping mechanism: every page and endpoint that
shows sites, technicians or anything belonging to a technician gets its queryset from here.

Scope by role (PRODUCT.md section 1):
- hr and admin: every site and technician;
- manager and evaluator: the sites they are attached to and the technicians of those sites;
- technician: their own record and site only.
Anything outside the scope simply is not in the queryset, so it answers 404.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from careerladder.core.versions import ViewerScope
from technicians.models import Site, Technician, User
from tiers.models import Tier, TierAssignment

Role = User.Role
ORG_WIDE_ROLES = (Role.HR, Role.ADMIN)
SITE_ROLES = (Role.MANAGER, Role.EVALUATOR)


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


def scope_to_viewer(qs: QuerySet, *, viewer, technician_field: str = "technician") -> QuerySet:
    """Restrict any queryset of technician-owned rows to what ``viewer`` may see.

    ``technician_field`` is the path from the row to its technician; pass ``""`` for a
    queryset of technicians themselves.
    """
    role = role_of(viewer)
    prefix = f"{technician_field}__" if technician_field else ""
    if role in ORG_WIDE_ROLES:
        return qs
    if role in SITE_ROLES:
        return qs.filter(**{f"{prefix}site__in": viewer_site_ids(viewer)})
    if role == Role.TECHNICIAN and viewer.technician_id:
        return qs.filter(**{technician_field or "pk": viewer.technician_id})
    return qs.none()


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


def with_current_tier(qs: QuerySet[Technician]) -> QuerySet[Technician]:
    """Annotate the current tier (the open assignment) without storing it twice."""
    open_assignment = TierAssignment.objects.filter(technician=OuterRef("pk"), end_date__isnull=True)
    return qs.annotate(
        current_tier_id=Subquery(open_assignment.values("tier_id")[:1]),
        current_tier_code=Subquery(open_assignment.values("tier__code")[:1]),
        current_tier_name=Subquery(open_assignment.values("tier__name")[:1]),
        current_tier_since=Subquery(open_assignment.values("start_date")[:1]),
    )


def technician_list(
    *,
    viewer,
    search: str = "",
    site: int | str | None = None,
    status: str | None = None,
    tier: str | None = None,
) -> QuerySet[Technician]:
    qs = scope_to_viewer(Technician.objects.select_related("site", "mentor"), viewer=viewer, technician_field="")
    qs = with_current_tier(qs)
    if search:
        for word in search.split()[:5]:
            qs = qs.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(employee_id__icontains=word)
                | Q(email__icontains=word)
            )
    if site:
        qs = qs.filter(site_id=site)
    if status:
        qs = qs.filter(status=status)
    if tier:
        qs = qs.filter(current_tier_code=tier)
    return qs


def technician_get(*, viewer, pk) -> Technician:
    """One technician in scope; raises ``Technician.DoesNotExist`` otherwise (a 404)."""
    return technician_list(viewer=viewer).get(pk=pk)


def tier_history(*, technician: Technician) -> QuerySet[TierAssignment]:
    return technician.tier_assignments.select_related("tier", "recorded_by").order_by("-start_date")


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


def tier_distribution(*, viewer) -> list[dict]:
    """Active and on-leave technicians per current tier, ladder order, zero rows included."""
    counts = dict(
        scope_to_viewer(TierAssignment.objects.filter(end_date__isnull=True), viewer=viewer)
        .exclude(technician__status=Technician.Status.TERMINATED)
        .values_list("tier_id")
        .annotate(n=Count("id"))
    )
    return [{"tier": t, "count": counts.get(t.pk, 0)} for t in Tier.objects.order_by("rank")]
