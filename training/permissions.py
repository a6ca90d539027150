"""Who may do what with training. Reading is scoped by ``technicians.selectors``; these decide
writes on records the caller can already see (a refusal there is a 403).

- Programmes: hr and admin define them; everyone logged in reads them.
- Assignments and rotations: the technician's managers, hr and admin
  (``can_manage_technician``). Evaluators read but do not assign.
- Progress (start, complete): the technician themself, or whoever may assign.
"""

from __future__ import annotations

from technicians.permissions import can_manage_technician
from technicians.roles import MANAGERS
from technicians.selectors import role_of


def can_assign(user, technician) -> bool:
    return role_of(user) in MANAGERS and can_manage_technician(user, technician)


def can_schedule_rotation(user, technician) -> bool:
    return can_assign(user, technician)


def can_record_progress(user, assignment) -> bool:
    if role_of(user) is None:
        return False
    if user.technician_id and user.technician_id == assignment.technician_id:
        return True
    return can_assign(user, assignment.technician)
