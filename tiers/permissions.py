"""Who may do what on the ladder. Reading is scoped by ``technicians.selectors``; these decide
writes on objects the caller can already see (a refusal there is a 403).

- Sign-offs (and tech-check-tech logs, leadership hours): evaluators of the technician's site
  and its managers; admin too (corrections). Never the technician themself - the service and a
  database constraint refuse that as well. Hr is org-wide but not a designated evaluator.
- Evaluations: the technician's managers and hr (``can_manage_technician``); the evaluated
  technician acknowledges.
- Promotions: the technician's managers and hr nominate, approve and reject; only hr (or admin)
  may approve an ineligible request, with a justification (a service rule).
- Enrolments: the technician themself, their managers and hr.
- Mentoring meetings: the mentor, the technician's managers and hr.
- Competencies, tier requirements: hr and admin.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from technicians.permissions import can_manage_technician, is_object_route, is_org_wide
from technicians.selectors import role_of, viewer_site_ids


def can_sign_off(user, technician) -> bool:
    role = role_of(user)
    if role is None or (user.technician_id and user.technician_id == technician.pk):
        return False
    if role == "admin":
        return True
    if role in ("evaluator", "manager"):
        return technician.site_id in (viewer_site_ids(user) or [])
    return False


def can_evaluate(user, technician) -> bool:
    return role_of(user) in ("manager", "hr", "admin") and can_manage_technician(user, technician)


def can_decide_promotion(user, technician) -> bool:
    return role_of(user) in ("manager", "hr", "admin") and can_manage_technician(user, technician)


def can_enrol(user, technician) -> bool:
    if role_of(user) is None:
        return False
    if user.technician_id and user.technician_id == technician.pk:
        return True
    return role_of(user) in ("manager", "hr", "admin") and can_manage_technician(user, technician)


def can_record_meeting(user, mentee) -> bool:
    if role_of(user) is None:
        return False
    if mentee.mentor_id and user.technician_id == mentee.mentor_id:
        return True
    return role_of(user) in ("manager", "hr", "admin") and can_manage_technician(user, mentee)


def can_manage_ladder(user) -> bool:
    return is_org_wide(user)


class ReadScopedWriteByRule(BasePermission):
    """Reads are scoped by the queryset; a write needs the view's ``write_roles`` and then the
    object rule the view checks against the technician concerned."""

    message = "You may not change this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or is_object_route(view):
            # Object routes decide in has_object_permission, after the scoped lookup: an
            # out-of-scope id is a 404 before it can be a 403 (PRODUCT.md section 1).
            return True
        return self._role_may_write(request, view)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or self._role_may_write(request, view)

    @staticmethod
    def _role_may_write(request, view) -> bool:
        roles = getattr(view, "write_roles", ())
        action_roles = getattr(view, "action_roles", {}).get(getattr(view, "action", None))
        return role_of(request.user) in (action_roles if action_roles is not None else roles)
