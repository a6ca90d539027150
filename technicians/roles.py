"""The five roles (PRODUCT.md section 1) and the named groups of them that the rules use.

Every role check in the code names a role or a group from here; no module spells a role as a
string (``tests/test_architecture.py`` checks it).

- ``ORG_WIDE``: hr and admin see every site.
- ``SITE_STAFF``: managers and evaluators see the sites they are assigned to.
- ``STAFF``: everyone but technicians (the staff pages: lists, sign-off sheets, certificates to
  verify).
- ``MANAGERS``: those who manage technicians' records: managers of their sites, hr and admin
  (evaluations, promotions, enrolments, training assignments, incentives).
- ``SUPERVISORS``: those who observe and sign off competencies: evaluators and managers of their
  sites, and admin for corrections (hr is org-wide but not a designated evaluator).
- ``HR_MANAGED_LOGINS``: the logins hr creates and changes; only an admin manages hr and admin
  logins.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    TECHNICIAN = "technician", "Technician"
    EVALUATOR = "evaluator", "Evaluator"
    MANAGER = "manager", "Manager"
    HR = "hr", "HR"
    ADMIN = "admin", "Admin"


EVERYONE = tuple(Role)
ORG_WIDE = (Role.HR, Role.ADMIN)
SITE_STAFF = (Role.MANAGER, Role.EVALUATOR)
STAFF = (Role.MANAGER, Role.EVALUATOR, Role.HR, Role.ADMIN)
MANAGERS = (Role.MANAGER, Role.HR, Role.ADMIN)
SUPERVISORS = (Role.EVALUATOR, Role.MANAGER, Role.ADMIN)
HR_MANAGED_LOGINS = (Role.TECHNICIAN, Role.EVALUATOR, Role.MANAGER)
