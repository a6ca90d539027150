"""Every write to sites, technicians and users. Views, API, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from careerladder.core.errors import ApplicationError
from careerladder.core.security import user_sessions_end
from technicians.models import Site, Technician, User
from technicians.permissions import (
    LOGIN_NOT_YOURS,
    LOGIN_PRIVILEGED,
    can_manage_login,
    can_manage_login_of,
    is_org_wide,
)

TECHNICIAN_EDITABLE = {
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "site",
    "hire_date",
    "status",
    "termination_date",
    "termination_type",
    "exit_reason",
    "exit_notes",
    "would_rehire",
    "mentor",
    "compounding_category",
}


def technician_full_clean(obj, *, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        # Re-raise with the API's field names (site, mentor) rather than the column names;
        # only relations lose "_id" (employee_id is a field of its own).
        relations = {f.name for f in obj._meta.get_fields() if f.is_relation}
        raise ApplicationError(
            errors={
                (k.removesuffix("_id") if k.removesuffix("_id") in relations else k): v
                for k, v in exc.message_dict.items()
            }
        ) from None


def _check_separation(tech: Technician) -> None:
    """A separation is status ``terminated`` plus a termination date and type, together."""
    errors: dict[str, str] = {}
    terminated = tech.status == Technician.Status.TERMINATED
    if terminated and not tech.termination_date:
        errors["termination_date"] = "A terminated technician needs a termination date."
    if terminated and not tech.termination_type:
        errors["termination_type"] = "A terminated technician needs a termination type."
    if not terminated and tech.termination_date:
        errors["status"] = "Set status to 'terminated' when giving a termination date."
    if not terminated and tech.termination_type and not tech.termination_date:
        errors["termination_type"] = "A termination type needs a termination date."
    if tech.termination_date and tech.termination_date < tech.hire_date:
        errors["termination_date"] = "The termination date cannot be before the hire date."
    if tech.mentor_id and tech.pk and tech.mentor_id == tech.pk:
        errors["mentor"] = "A technician cannot mentor themselves."
    if errors:
        raise ApplicationError(errors=errors)


def technician_check_separation(*, technician: Technician) -> None:
    """The separation rule on an unsaved candidate, for forms that show it field by field."""
    _check_separation(technician)


def technician_apply_changes(*, technician: Technician, data: dict[str, Any]) -> None:
    """Set ``data`` on ``technician`` (not saved): the one place that says what a change of
    status does to the other separation fields. Reinstating (terminated -> another status)
    clears the termination date and type unless ``data`` gives them. The HR import applies
    its rows through this too, then checks them with ``technician_check_separation``."""
    was_terminated = technician.status == Technician.Status.TERMINATED
    for field, value in data.items():
        setattr(technician, field, value)
    if was_terminated and technician.status != Technician.Status.TERMINATED:
        if "termination_date" not in data:
            technician.termination_date = None
        if "termination_type" not in data:
            technician.termination_type = ""
    if technician.termination_type is None:
        technician.termination_type = ""


def technicians_end_logins(*, technician_ids: list[int]) -> int:
    """Separated technicians' logins stop working at once (sessions and tokens), in a fixed
    number of queries whatever the number of technicians; returns the logins ended."""

    user_ids = list(User.objects.filter(technician_id__in=technician_ids).values_list("pk", flat=True))
    if not user_ids:
        return 0
    User.objects.filter(pk__in=user_ids).update(is_active=False)
    # Sessions are found through their UserSession rows (careerladder/core/security.py).
    user_sessions_end(user_ids=user_ids)
    return len(user_ids)


@transaction.atomic
def site_create(*, code: str, name: str, kind: str, state: str) -> Site:
    site = Site(code=code, name=name, kind=kind, state=state)
    technician_full_clean(site)
    site.save()
    return site


@transaction.atomic
def site_update(*, site: Site, data: dict[str, Any], updated_by=None) -> Site:
    """Change the given fields of a site, on its locked row (a page may hold an older read).
    Sites are organisation data: only hr and admin change them (``updated_by`` None: the
    system itself)."""
    if updated_by is not None and not is_org_wide(updated_by):
        raise PermissionDenied("Only HR changes a site, its compounding category included.")
    site = Site.objects.select_for_update().get(pk=site.pk)
    for field, value in data.items():
        setattr(site, field, value)
    technician_full_clean(site)
    site.save(update_fields=[*data, "updated_at"] if data else None)
    return site


OWN_ROLE = "You cannot change your own role; another administrator can."
OWN_LOGIN_OFF = "You cannot deactivate your own login; another administrator can."
ROLE_NOT_YOURS = "Only an administrator may give the hr or admin role."


def user_check_change(*, actor: User | None, user: User | None, role: str, is_active: bool = True) -> None:
    """Who may write which login (PRODUCT.md section 1), for every path that writes one: the
    services below and the Django admin (``technicians/admin.py``). ``user`` is the login as
    stored (``None`` for a new one); ``role`` and ``is_active`` are what it is to become;
    ``actor`` is the logged-in user making the change, ``None`` for the system itself
    (``seed_demo``, management commands).

    - A login the actor may not manage (for hr: an hr or admin login, whatever is changed,
      its password included) is refused as a whole: ``PermissionDenied`` (403, the object is
      visible to hr).
    - The role must be one the actor may give (hr: technician, evaluator, manager), nobody
      changes their own role and nobody deactivates their own login: ``ValidationError`` on
      ``role`` / ``is_active`` (400, the value is what is refused).
    """
    if actor is None:
        return
    if user is not None and not can_manage_login(actor, user.effective_role):
        raise PermissionDenied(LOGIN_NOT_YOURS)
    if user is not None and not can_manage_login_of(actor, user):
        raise PermissionDenied(LOGIN_PRIVILEGED)
    own = user is not None and user.pk == actor.pk
    # An unchanged role keeps the login what it is (a superuser stays an admin); a new one
    # makes it exactly that role (user_update sets the staff and superuser flags from it).
    unchanged = user is not None and role == user.role
    errors = {}
    if own and not unchanged:
        errors["role"] = OWN_ROLE
    elif not can_manage_login(actor, user.effective_role if unchanged else role):
        errors["role"] = ROLE_NOT_YOURS
    if own and not is_active:
        errors["is_active"] = OWN_LOGIN_OFF
    if errors:
        raise ApplicationError(errors=errors)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    technician: Technician | None = None,
    sites: list[Site] | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> User:
    """A new login; ``actor`` (the logged-in user; ``None`` for the system) must be allowed to
    give ``role`` (``user_check_change``)."""
    user_check_change(actor=actor, user=None, role=role)
    user = User(
        username=username, role=role, technician=technician, email=email, first_name=first_name, last_name=last_name
    )
    _validate_user_links(user, sites or [])
    user.set_password(password)
    user.is_staff = role == User.Role.ADMIN
    user.is_superuser = role == User.Role.ADMIN
    technician_full_clean(user, exclude=["password"])
    user.save()
    user.sites.set(sites or [])
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any], actor: User | None = None) -> User:
    """Change a login (``password`` sets a new one). The rule is checked on the locked row
    (``user_check_change``). A new role ends the login's sessions and API tokens here; a new
    password or a deactivation ends them in the ``post_save`` handler, which does so whatever
    saves the login (``careerladder/core/security.py``)."""
    data = dict(data)
    user = User.objects.select_for_update().get(pk=user.pk)
    role = data.get("role", user.role)
    user_check_change(actor=actor, user=user, role=role, is_active=data.get("is_active", user.is_active))
    role_changed = role != user.role
    sites = data.pop("sites", None)
    password = data.pop("password", None)
    for field, value in data.items():
        setattr(user, field, value)
    _validate_user_links(user, sites if sites is not None else list(user.sites.all()))
    if password:
        user.set_password(password)
    if role_changed or ("role" in data and role == User.Role.ADMIN):
        # The flags follow a role given; an unchanged other role leaves them (a superuser made
        # by createsuperuser keeps its stored default role and its powers).
        user.is_staff = user.is_superuser = user.role == User.Role.ADMIN
    technician_full_clean(user, exclude=["password"])
    user.save()
    if sites is not None:
        user.sites.set(sites)
    if role_changed:
        user_sessions_end(user_ids=[user.pk])
    return user


def user_check_links(*, user: User, sites: list[Site]) -> None:
    """A login's links for its role (the Django admin's forms check them with this too)."""
    _validate_user_links(user, sites)


def _validate_user_links(user: User, sites: list[Site]) -> None:
    errors = {}
    if user.role == User.Role.TECHNICIAN and not user.technician_id:
        errors["technician"] = "A technician login must be linked to its technician record."
    if user.role in (User.Role.MANAGER, User.Role.EVALUATOR) and not sites:
        errors["sites"] = "Managers and evaluators need at least one site."
    if user.role in (User.Role.HR, User.Role.ADMIN, User.Role.MANAGER) and user.technician_id:
        errors["technician"] = "Only technician and evaluator logins are linked to a technician record."
    if errors:
        raise ApplicationError(errors=errors)


def technician_lock(technician):
    """The technician re-read under a row lock (with the site): the one row that serialises
    the writes about them, and the state the rules below are checked on."""

    return Technician.objects.select_for_update(of=("self",)).select_related("site").get(pk=technician.pk)
