"""Who may sign off competencies (and record tech-check-tech days): evaluators and managers of the
technician's site, and admin (corrections). Never the technician themself: the service and a
database constraint refuse that as well. Hr is org-wide but not a designated evaluator."""

from __future__ import annotations

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
