"""Who may enrol a technician on a track (the technician themself, their managers and hr) and
record a mentoring meeting (the mentor, the technician's managers and hr)."""

from __future__ import annotations

from technicians.permissions import can_manage_technician
from technicians.roles import MANAGERS
from technicians.selectors import role_of


def can_enrol(user, technician) -> bool:
    if role_of(user) is None:
        return False
    if user.technician_id and user.technician_id == technician.pk:
        return True
    return role_of(user) in MANAGERS and can_manage_technician(user, technician)


def can_record_meeting(user, mentee) -> bool:
    if role_of(user) is None:
        return False
    if mentee.mentor_id and user.technician_id == mentee.mentor_id:
        return True
    return role_of(user) in MANAGERS and can_manage_technician(user, mentee)
