"""Who may do what. Reading is scoped by ``technicians.selectors``; these decide writes."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from technicians.models import Technician, User
from technicians.selectors import ORG_WIDE_ROLES, role_of, viewer_site_ids

Role = User.Role


def is_org_wide(user) -> bool:
    return role_of(user) in ORG_WIDE_ROLES


def can_manage_site(user, site_id: int | None) -> bool:
    """Managers manage technicians of their own sites; hr and admin manage every site."""
    role = role_of(user)
    if role in ORG_WIDE_ROLES:
        return True
    return role == Role.MANAGER and site_id in (viewer_site_ids(user) or [])


def can_manage_technician(user, technician: Technician) -> bool:
    return can_manage_site(user, technician.site_id)


def can_read_history(user) -> bool:
    """The audit trail (who changed what, when) is for hr and admin (PRODUCT.md, "Audit")."""
    return is_org_wide(user)


def is_object_route(view) -> bool:
    """A detail route (``…/{pk}/``): its object is looked up through the scoped queryset first,
    so an out-of-scope id answers 404 and only a visible one can answer 403 (PRODUCT.md).

    Permission classes let such requests through ``has_permission`` and decide in
    ``has_object_permission``; a detail action must therefore call ``get_object()``.
    """
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    return bool(lookup) and lookup in (getattr(view, "kwargs", None) or {})


class IsOrgWide(BasePermission):
    """hr and admin only (user administration, policy, org-wide reports)."""

    message = "Only HR and administrators may do this."

    def has_permission(self, request, view) -> bool:
        return is_org_wide(request.user)


class ReadScopedWriteOrgWide(BasePermission):
    """Everyone logged in reads (scoped by the queryset); only hr and admin change."""

    message = "Only HR and administrators may change this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or is_object_route(view) or is_org_wide(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or is_org_wide(request.user)


class ManagesTechnicians(BasePermission):
    """Reads are scoped; creating and changing technicians is for managers (own sites) and hr."""

    message = "Only the technician's managers and HR may change technician records."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or is_object_route(view):
            return True
        return role_of(request.user) in (Role.MANAGER, Role.HR, Role.ADMIN)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_manage_technician(request.user, obj)


# Logins (PRODUCT.md section 1): hr manages technician, evaluator and manager logins; hr and
# admin logins (and their passwords) are an administrator's alone.
HR_MANAGED_LOGIN_ROLES = (Role.TECHNICIAN, Role.EVALUATOR, Role.MANAGER)
LOGIN_NOT_YOURS = "Only an administrator may change hr and admin logins."
LOGIN_PRIVILEGED = "Only an administrator may change a login that has Django admin rights."


def can_manage_login(actor, target_role: str | None) -> bool:
    """May ``actor`` create, change or set the password of a login with ``target_role`` (for an
    existing login its ``effective_role``: a superuser is an admin whatever its stored role)?
    The user service checks this on every write; the API and the Django admin ask it first so
    that their forms and answers match."""
    role = role_of(actor)
    if role == Role.ADMIN:
        return True
    return role == Role.HR and target_role in HR_MANAGED_LOGIN_ROLES


def can_manage_login_of(actor, user) -> bool:
    """``can_manage_login`` for an existing login, which hr also may not change when it holds
    Django admin rights of its own (staff, groups or permissions given by an administrator):
    taking it over would hand hr those rights."""
    if not can_manage_login(actor, user.effective_role):
        return False
    if role_of(actor) == Role.ADMIN:
        return True
    return not (user.is_staff or user.is_superuser or user.groups.exists() or user.user_permissions.exists())


class ManagesLogins(BasePermission):
    """The user API, beside ``IsOrgWide``: changing a login needs ``can_manage_login`` (403 on
    a visible login the caller may not change, before its input is looked at)."""

    message = LOGIN_NOT_YOURS

    def has_permission(self, request, view) -> bool:
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS or can_manage_login_of(request.user, obj):
            return True
        self.message = LOGIN_NOT_YOURS if not can_manage_login(request.user, obj.effective_role) else LOGIN_PRIVILEGED
        return False


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
