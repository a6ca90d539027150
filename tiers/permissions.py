"""Who may do what on the ladder. Reading is scoped by ``technicians.selectors``; these decide
writes on objects the caller can already see (a refusal there is a 403).

- Evaluations: the technician's managers and hr (``can_manage_technician``); the evaluated
  technician acknowledges.
- Promotions: the technician's managers and hr nominate, approve and reject; only hr (or admin)
  may approve an ineligible request, with a justification (a service rule).
- Competencies, tier requirements: hr and admin.

Sign-offs are ``competencies.permissions``; enrolments and mentoring ``tracks.permissions``.
"""

from __future__ import annotations

from technicians.permissions import can_manage_technician, is_org_wide
from technicians.roles import MANAGERS
from technicians.selectors import role_of


def can_evaluate(user, technician) -> bool:
    return role_of(user) in MANAGERS and can_manage_technician(user, technician)


def can_decide_promotion(user, technician) -> bool:
    return role_of(user) in MANAGERS and can_manage_technician(user, technician)


def can_manage_ladder(user) -> bool:
    return is_org_wide(user)
