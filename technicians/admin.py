import copy

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction

from careerladder.core.admin import ReadOnlyHistoryAdmin
from careerladder.core.security import user_sessions_end
from technicians import services
from technicians.models import Site, Technician, User
from technicians.permissions import can_manage_login, can_manage_login_of
from technicians.selectors import role_of
from tiers import services as tiers_services
from tiers.models import TierAssignment


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["code", "name"]


class TierAssignmentInline(admin.TabularInline):
    model = TierAssignment
    fk_name = "technician"
    extra = 0
    fields = ["tier", "start_date", "end_date", "reason", "note"]


class _TryOnly(Exception):
    """Rolls back a service call made only to see whether it refuses."""


@admin.register(Technician)
class TechnicianAdmin(ReadOnlyHistoryAdmin):
    """Technicians in the Django admin, under the same rules as the pages, the API and the
    import: a change goes through ``tiers.services.technician_update`` (the separation rule, the
    mentor rule, the first tier following the hire date, a separation ending the logins), tried
    when the form is checked, so a refusal shows under its field, and made when it is saved.
    Technicians are hired through their page, the API or the import, which start their tier
    history, so the admin adds none; the tier history itself can be corrected here (inline)."""

    list_display = ["employee_id", "last_name", "first_name", "site", "status", "hire_date", "termination_date"]
    list_filter = ["status", "termination_type", "site__kind"]
    search_fields = ["employee_id", "last_name", "first_name", "email"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "mentor"]
    inlines = [TierAssignmentInline]

    def has_add_permission(self, request):
        return False

    @staticmethod
    def _changes(form) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data if name in services.TECHNICIAN_EDITABLE}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        stored = Technician.objects.get(pk=obj.pk) if obj is not None else None
        changes = self._changes
        actor = request.user

        class TechnicianRuleForm(form):
            def clean(self):
                cleaned = super().clean()
                if stored is None or self.errors:
                    return cleaned
                try:
                    with transaction.atomic():
                        tiers_services.technician_update(technician=stored, data=changes(self), updated_by=actor)
                        raise _TryOnly
                except _TryOnly:
                    pass
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        self.add_error(field if field in self.fields else None, messages)
                return cleaned

            def _post_clean(self):
                # The model's own checks run in the service (with its field names and messages).
                pass

        return TechnicianRuleForm

    def save_model(self, request, obj, form, change):
        tiers_services.technician_update(
            technician=Technician.objects.get(pk=obj.pk), data=self._changes(form), updated_by=request.user
        )
        form.instance = Technician.objects.get(pk=obj.pk)


class LoginPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form. A new password ends the login's sessions and tokens
    through the ``post_save`` handler (``careerladder/core/security.py``); turning password
    login off (``set_unusable_password``) does not mark a change there, so end them here too."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            user_sessions_end(user_ids=[user.pk])
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Logins in the Django admin, under the same rule as the user API
    (``technicians.services.user_check_change``): an hr login that was made staff manages
    technician, evaluator and manager logins only, never hands out staff, superuser, groups or
    permissions, and cannot touch hr or admin logins (its own included: 403); nobody changes
    their own role or superuser flag here. A changed role ends that login's sessions and
    tokens, as ``user_update`` does."""

    list_display = ["username", "role", "technician", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["technician"]
    filter_horizontal = ["sites", "groups", "user_permissions"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("CareerLadder", {"fields": ("role", "technician", "sites")}))
    # A new login gets its role and links at once, checked like the API's (no technician login
    # without its technician record, no manager without a site).
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("CareerLadder", {"fields": ("role", "technician", "sites")}))
    change_password_form = LoginPasswordChangeForm
    # What makes a login more than its role: only an administrator gives these.
    GRANTS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_manage_login_of(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        # Also asked per object when several are deleted at once (the "delete selected" action).
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_manage_login_of(request.user, obj))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if role_of(request.user) != User.Role.ADMIN:
            fields += self.GRANTS
        if obj is not None and obj.pk == request.user.pk:
            fields += ["role", "is_superuser", "is_staff"]
        return list(dict.fromkeys(fields))

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(v, label) for v, label in User.Role.choices if can_manage_login(request.user, v)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        stored = copy.copy(obj)  # the login as saved: the form changes ``obj`` as it validates
        actor = request.user

        class LoginRuleForm(form):
            login_before = stored

            def clean(self):
                cleaned = super().clean()
                default_role = stored.role if stored else User.Role.TECHNICIAN
                try:
                    services.user_check_change(
                        actor=actor,
                        user=stored,
                        role=cleaned.get("role", default_role),
                        is_active=cleaned.get("is_active", stored.is_active if stored else True),
                    )
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        self.add_error(field if field in self.fields else None, messages)
                    return cleaned
                if "role" in cleaned or "technician" in cleaned or "sites" in cleaned:
                    candidate = User(
                        role=cleaned.get("role", default_role),
                        technician=cleaned.get("technician", stored.technician if stored else None),
                    )
                    sites = cleaned.get("sites", list(stored.sites.all()) if stored else [])
                    try:
                        services.user_check_links(user=candidate, sites=list(sites))
                    except ValidationError as exc:
                        for field, messages in exc.message_dict.items():
                            self.add_error(field if field in self.fields else None, messages)
                return cleaned

        return LoginRuleForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        before = getattr(form, "login_before", None)
        if change and before is not None and before.effective_role != obj.effective_role:
            user_sessions_end(user_ids=[obj.pk])
