"""``{% career_map technician %}``: a technician's place on the ladder, what is missing for the
next tier and what to do next, their tracks and mentor. Shown on ``/me/`` and on the
technician's page (through ``technicians/_profile.html``)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from competencies.permissions import can_sign_off
from tiers import selectors
from tiers.models import Evaluation, Promotion, Tier
from tiers.permissions import can_decide_promotion, can_evaluate
from tracks import selectors as tracks_selectors
from tracks.permissions import can_enrol

register = template.Library()

KIND_ICONS = {
    "competency": "clipboard-check",
    "certification": "patch-check",
    "evaluation": "graph-up",
    "tenure": "hourglass-split",
    "tier": "ladder",
    "hours": "clock-history",
}


def requirement_count(tier) -> int:
    """How many separate requirements promotion into ``tier`` has (for the progress bar)."""
    if tier is None:
        return 0
    count = len(tier.required_competencies.all()) + len(tier.required_certifications.all())
    count += 1 if tier.min_specialty_competencies and tier.specialty_competencies.all() else 0
    count += 1 if tier.min_evaluation_average is not None else 0
    count += 1 if tier.min_months_in_prior_tier else 0
    return count


@register.inclusion_tag("tiers/_career_map.html", takes_context=True)
def career_map(context, technician, compact=False):
    request = context.get("request")
    user = getattr(request, "user", None)
    today = timezone.localdate()
    standing = selectors.ladder_standing(technician=technician, today=today)
    enrolments = tracks_selectors.enrolments_with_progress(
        technicians=[technician], today=today, standings={technician.pk: standing}
    )
    total = requirement_count(standing.next_tier)
    unmet = len(standing.missing)
    met = max(total - unmet, 0)
    percent = 100 if standing.eligible else (round(100 * met / total) if total else 0)
    for entry in standing.missing:
        entry["icon"] = KIND_ICONS.get(entry["kind"], "circle")
    is_self = bool(user and user.technician_id == technician.pk)
    # Through the scoping selectors like every other read: a viewer who may not read this
    # technician's promotions or evaluations (an evaluator looking at a colleague) sees none.
    promotions = selectors.promotion_list(viewer=user).filter(status=Promotion.Status.PENDING) if user else None
    pending = promotions.filter(technician=technician).first() if promotions is not None else None
    evaluations = (
        selectors.evaluation_list(viewer=user).filter(technician=technician) if user else Evaluation.objects.none()
    )
    to_acknowledge = []
    if is_self:
        to_acknowledge = list(evaluations.filter(acknowledged_at__isnull=True).order_by("-month")[:3])
    latest_evaluations = list(evaluations.order_by("-month")[:3])
    return {
        "request": request,
        "technician": technician,
        "standing": standing,
        "ladder": list(Tier.objects.order_by("rank").only("code", "name", "rank")),
        "competency_rows": standing.competency_rows(),
        "enrolments": enrolments,
        "met": met,
        "total": total,
        "percent": percent,
        "is_self": is_self,
        "pending_promotion": pending,
        "to_acknowledge": to_acknowledge,
        "latest_evaluations": latest_evaluations,
        "mentor": technician.mentor,
        "compact": compact,
        "stalled": standing.stalled,
        "may_sign_off": bool(user) and can_sign_off(user, technician),
        "may_evaluate": bool(user) and can_evaluate(user, technician),
        "may_promote": bool(user) and can_decide_promotion(user, technician),
        "may_enrol": bool(user) and can_enrol(user, technician),
    }


@register.inclusion_tag("competencies/_competency_badge.html")
def competency_badge(status: str):
    return {"status": status}


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "circle")
