"""Who may change certification records. Reading is scoped by ``technicians.selectors``
(out of scope is 404); these decide writes on what the viewer can see (refused is 403).

- Technicians (and any login linked to a technician record, e.g. an evaluator who is a Lead)
  record their own CE credits, practice tests and self-reported certifications; they may
  change or withdraw their own certification only while it is unverified.
- Managers of the technician's site and hr/admin record, change and delete everything, verify
  certifications, grant PTCB extensions, record CSPT attestations and award incentives.
- Nobody verifies, extends, attests or awards for their own technician record.
- Policy, certification types and incentive programmes are hr/admin's.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from technicians.permissions import can_manage_technician, is_org_wide


def is_own(user, technician) -> bool:
    return bool(getattr(user, "technician_id", None)) and user.technician_id == technician.pk


def can_record_for(user, technician) -> bool:
    """Log CE credits, practice tests and (self-reported) certifications for ``technician``."""
    return is_own(user, technician) or can_manage_technician(user, technician)


def can_oversee(user, technician) -> bool:
    """Verify, extend, attest, award: a manager of the site or hr, never for oneself."""
    return can_manage_technician(user, technician) and not is_own(user, technician)


def can_change_certification(user, certification) -> bool:
    if can_oversee(user, certification.technician):
        return True
    return is_own(user, certification.technician) and certification.verified_at is None


def can_change_record(user, record) -> bool:
    """CE credits and practice tests: the technician's own, or a manager's / hr's."""
    return can_record_for(user, record.technician)


def can_edit_policy(user) -> bool:
    return is_org_wide(user)


class TechnicianRecordPermission(BasePermission):
    """Reads are scoped by the queryset. Writes are checked on the object (or, for creation,
    by the view once it knows the technician) with ``object_check``."""

    message = "You may not change this record."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        check = getattr(view, "object_check", None)
        return bool(check and check(request.user, obj))
