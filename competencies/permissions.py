"""Who may sign off competencies (and record tech-check-tech days): evaluators and managers of the
technician's site, and admin (corrections). Never the technician themself: the service and a
database constraint refuse that as well. Hr is org-wide but not a designated evaluator."""

from __future__ import annotations

from technicians.permissions import can_manage_technician
from technicians.roles import SITE_STAFF, Role
from technicians.selectors import role_of, viewer_site_ids


def can_sign_off(user, technician) -> bool:
    role = role_of(user)
    if role is None or (user.technician_id and user.technician_id == technician.pk):
        return False
    if role == Role.ADMIN:
        return True
    if role in SITE_STAFF:
        return technician.site_id in (viewer_site_ids(user) or [])
    return False


def can_see_signoff_qr(user, technician) -> bool:
    """The QR code on a technician's record opens their sign-off sheet: shown to those who sign
    off for them or manage them (hr and managers print badges for a skills fair)."""
    return can_sign_off(user, technician) or can_manage_technician(user, technician)
