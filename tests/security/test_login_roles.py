"""Who manages which logins (PRODUCT.md section 1): hr manages technician, evaluator and manager
logins; only an administrator creates or changes hr and admin logins and their passwords;
nobody changes their own role. The same rule holds in the user API, the user service and the
Django admin; a refused change leaves the login as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

from careerladder.core.models import UserSession
from technicians import services
from technicians.models import User
from tests.factories import TechnicianFactory, UserFactory
from tests.security.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db
JSON = "application/json"
USERS = "/api/v1/users/"
STRONG = "Compounding-Hood-42"
NOT_YOURS = "Only an administrator may change hr and admin logins."
ROLE_NOT_YOURS = "Only an administrator may give the hr or admin role."
OWN_ROLE = "You cannot change your own role; another administrator can."
OWN_LOGIN_OFF = "You cannot deactivate your own login; another administrator can."


def api_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.username, user.role, user.is_staff, user.is_superuser, user.is_active, user.password, user.email)


# ---- hr cannot raise anyone (or itself) to hr or admin ------------------------------------


@pytest.mark.parametrize("role", ["admin", "hr"])
def test_hr_cannot_create_an_admin_or_hr_login(hr_user, role):
    before = User.objects.count()

    response = api_as(hr_user).post(USERS, {"username": "raised", "password": STRONG, "role": role}, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"role": [ROLE_NOT_YOURS]}
    assert User.objects.count() == before
    assert not User.objects.filter(username="raised").exists()


def test_hr_cannot_raise_its_own_role(hr_user):
    before = snapshot(hr_user)

    response = api_as(hr_user).patch(f"{USERS}{hr_user.pk}/", {"role": "admin"}, content_type=JSON)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_YOURS}
    assert snapshot(hr_user) == before
    hr_user.refresh_from_db()
    assert (hr_user.role, hr_user.is_superuser, hr_user.effective_role) == ("hr", False, "hr")


def test_hr_cannot_set_the_admin_password(hr_user, admin_user):
    before = snapshot(admin_user)

    response = api_as(hr_user).patch(f"{USERS}{admin_user.pk}/", {"password": STRONG}, content_type=JSON)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_YOURS}
    assert snapshot(admin_user) == before  # the hash did not change
    assert log_in(Client(), "admin").status_code == 302  # the admin's own password still works
    assert log_in(Client(), "admin", STRONG).status_code == 200  # hr's does not


@pytest.mark.parametrize(
    "change",
    [{"password": STRONG}, {"role": "manager"}, {"is_active": False}, {"email": "other@example.org"}],
)
def test_hr_cannot_change_another_hr_login(hr_user, site_a, change):
    colleague = UserFactory(username="hr2", role=User.Role.HR, email="hr2@example.org")
    before = snapshot(colleague)
    if "role" in change:
        change = {**change, "sites": [site_a.pk]}  # a valid manager login otherwise

    response = api_as(hr_user).patch(f"{USERS}{colleague.pk}/", change, content_type=JSON)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_YOURS}
    assert snapshot(colleague) == before


def test_hr_cannot_raise_a_manager_to_admin_or_hr(hr_user, manager_user):
    before = snapshot(manager_user)
    client = api_as(hr_user)

    to_admin = client.patch(f"{USERS}{manager_user.pk}/", {"role": "admin"}, content_type=JSON)
    to_hr = client.patch(f"{USERS}{manager_user.pk}/", {"role": "hr"}, content_type=JSON)

    assert (to_admin.status_code, to_hr.status_code) == (400, 400)
    assert to_admin.json() == to_hr.json() == {"role": [ROLE_NOT_YOURS]}
    assert snapshot(manager_user) == before


def test_hr_still_reads_every_login(hr_user, admin_user, manager_user):
    client = api_as(hr_user)

    listed = client.get(USERS)
    one = client.get(f"{USERS}{admin_user.pk}/")

    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()["results"]] == ["admin", "hr", "manager"]
    assert (one.status_code, one.json()["role"]) == (200, "admin")


# ---- what hr does manage --------------------------------------------------------------------


def test_hr_creates_and_edits_technician_evaluator_and_manager_logins(hr_user, site_a, tech_a):
    client = api_as(hr_user)
    lead = TechnicianFactory(site=site_a, employee_id="A-LEAD", tier="LEAD")

    tech = client.post(
        USERS, {"username": "t1", "password": STRONG, "role": "technician", "technician": tech_a.pk}, content_type=JSON
    )
    evaluator = client.post(
        USERS,
        {"username": "e1", "password": STRONG, "role": "evaluator", "technician": lead.pk, "sites": [site_a.pk]},
        content_type=JSON,
    )
    manager = client.post(
        USERS, {"username": "m1", "password": STRONG, "role": "manager", "sites": [site_a.pk]}, content_type=JSON
    )
    assert (tech.status_code, evaluator.status_code, manager.status_code) == (201, 201, 201)

    # an evaluator made a manager, a new password for the technician, a manager deactivated
    promoted = client.patch(
        f"{USERS}{evaluator.json()['id']}/", {"role": "manager", "technician": None}, content_type=JSON
    )
    new_password = client.patch(f"{USERS}{tech.json()['id']}/", {"password": "Sterile-Garb-Lamp-7"}, content_type=JSON)
    off = client.patch(f"{USERS}{manager.json()['id']}/", {"is_active": False}, content_type=JSON)

    assert (promoted.status_code, new_password.status_code, off.status_code) == (200, 200, 200)
    assert User.objects.get(username="e1").role == "manager"
    assert User.objects.get(username="t1").check_password("Sterile-Garb-Lamp-7")
    assert User.objects.get(username="m1").is_active is False
    assert not User.objects.filter(username__in=["t1", "e1", "m1"], is_staff=True).exists()


def test_hr_may_lower_nobody_from_admin(hr_user, admin_user, site_a):
    before = snapshot(admin_user)

    response = api_as(hr_user).patch(
        f"{USERS}{admin_user.pk}/", {"role": "manager", "sites": [site_a.pk]}, content_type=JSON
    )

    assert response.status_code == 403
    assert snapshot(admin_user) == before


def test_a_superuser_is_an_admin_login_whatever_its_stored_role(hr_user, site_a):
    # A superuser (createsuperuser, the Django admin) is an admin whatever role is stored.
    root = UserFactory(username="root", role=User.Role.MANAGER, sites=[site_a], is_superuser=True, is_staff=True)
    before = snapshot(root)

    response = api_as(hr_user).patch(f"{USERS}{root.pk}/", {"password": STRONG}, content_type=JSON)

    assert response.status_code == 403
    assert snapshot(root) == before


# ---- what an admin does ---------------------------------------------------------------------


def test_admin_creates_hr_and_admin_logins_and_changes_them(admin_user, hr_user):
    client = api_as(admin_user)

    hr2 = client.post(USERS, {"username": "hr2", "password": STRONG, "role": "hr"}, content_type=JSON)
    admin2 = client.post(USERS, {"username": "admin2", "password": STRONG, "role": "admin"}, content_type=JSON)
    raised = client.patch(f"{USERS}{hr_user.pk}/", {"role": "admin"}, content_type=JSON)
    password = client.patch(f"{USERS}{admin2.json()['id']}/", {"password": "Sterile-Garb-Lamp-7"}, content_type=JSON)
    lowered = client.patch(f"{USERS}{admin2.json()['id']}/", {"role": "hr"}, content_type=JSON)

    assert [r.status_code for r in (hr2, admin2, raised, password, lowered)] == [201, 201, 200, 200, 200]
    flags = {u.username: (u.role, u.is_staff, u.is_superuser) for u in User.objects.filter(username__startswith="")}
    assert flags["hr2"] == ("hr", False, False)
    assert flags["hr"] == ("admin", True, True)
    assert flags["admin2"] == ("hr", False, False)
    assert User.objects.get(username="admin2").check_password("Sterile-Garb-Lamp-7")


# ---- nobody changes their own role ------------------------------------------------------------


def test_admin_cannot_change_its_own_role(admin_user):
    before = snapshot(admin_user)

    response = api_as(admin_user).patch(f"{USERS}{admin_user.pk}/", {"role": "hr"}, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"role": [OWN_ROLE]}
    assert snapshot(admin_user) == before


def test_admin_may_resend_its_own_role_unchanged_and_edit_its_own_login(admin_user):
    client = api_as(admin_user)
    body = client.get(f"{USERS}{admin_user.pk}/").json()

    response = client.put(
        f"{USERS}{admin_user.pk}/", {**body, "email": "root@example.org", "sites": []}, content_type=JSON
    )

    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_superuser, admin_user.email) == ("admin", True, "root@example.org")


def test_admin_cannot_deactivate_its_own_login(admin_user):
    # Its own session would end mid-request; and the organisation could lose its last admin.
    client = Client()
    assert log_in(client, "admin").status_code == 302

    response = client.patch(f"{USERS}{admin_user.pk}/", {"is_active": False}, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"is_active": [OWN_LOGIN_OFF]}
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


# ---- the service holds the rule for every caller -------------------------------------------------


def test_the_service_refuses_hr_an_admin_login(hr_user):
    with pytest.raises(ValidationError) as refused:
        services.user_create(actor=hr_user, username="raised", password=STRONG, role=User.Role.ADMIN)

    assert refused.value.message_dict == {"role": [ROLE_NOT_YOURS]}
    assert not User.objects.filter(username="raised").exists()


def test_the_service_refuses_hr_a_change_to_the_admin_login(hr_user, admin_user):
    before = snapshot(admin_user)

    with pytest.raises(PermissionDenied, match=NOT_YOURS):
        services.user_update(actor=hr_user, user=admin_user, data={"password": STRONG})

    assert snapshot(admin_user) == before


def test_the_service_refuses_anyone_their_own_role(admin_user):
    with pytest.raises(ValidationError) as refused:
        services.user_update(actor=admin_user, user=admin_user, data={"role": User.Role.MANAGER})

    assert refused.value.message_dict == {"role": [OWN_ROLE]}
    admin_user.refresh_from_db()
    assert admin_user.role == "admin" and admin_user.is_superuser


def test_a_role_change_ends_the_logins_sessions_and_tokens(admin_user, manager_user, site_a):
    device = Client()
    assert log_in(device, "manager").status_code == 302
    Token.objects.create(user=manager_user)

    response = api_as(admin_user).patch(f"{USERS}{manager_user.pk}/", {"role": "hr", "sites": []}, content_type=JSON)

    assert response.status_code == 200
    assert not Token.objects.filter(user=manager_user).exists()
    assert not UserSession.objects.filter(user=manager_user).exists()
    assert device.get("/technicians/").status_code == 302


# ---- the Django admin ---------------------------------------------------------------------------


@pytest.fixture
def staff_hr(hr_user):
    """An hr login someone made staff and gave every permission on logins."""
    hr_user.is_staff = True
    hr_user.save()
    hr_user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="technicians", codename__endswith="_user")
    )
    return User.objects.get(pk=hr_user.pk)


def admin_form(client: Client, user: User, **changes) -> dict:
    """The change form's current values for ``user``, with ``changes``."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "technician": user.technician_id or "",
        "sites": [s.pk for s in user.sites.all()],
        "is_active": "on" if user.is_active else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }
    return {k: v for k, v in data.items() if v != ""}


def test_a_staff_hr_cannot_make_itself_superuser_in_the_django_admin(staff_hr):
    client = api_as(staff_hr)
    before = snapshot(staff_hr)

    page = client.get(f"/admin/technicians/user/{staff_hr.pk}/change/")
    posted = client.post(
        f"/admin/technicians/user/{staff_hr.pk}/change/",
        admin_form(client, staff_hr, role="admin", is_superuser="on", is_staff="on"),
    )

    assert page.status_code == 200  # it may look at its own login
    assert b'name="is_superuser"' not in page.content and b'name="role"' not in page.content
    assert posted.status_code == 403
    assert snapshot(staff_hr) == before


def test_a_staff_hr_cannot_change_the_admin_login_in_the_django_admin(staff_hr, admin_user):
    client = api_as(staff_hr)
    before = snapshot(admin_user)

    password = client.post(
        f"/admin/technicians/user/{admin_user.pk}/password/",
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    change = client.post(f"/admin/technicians/user/{admin_user.pk}/change/", admin_form(client, admin_user))
    delete = client.post(f"/admin/technicians/user/{admin_user.pk}/delete/", {"post": "yes"})

    assert (password.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert snapshot(admin_user) == before


def test_a_staff_hr_cannot_raise_a_manager_in_the_django_admin(staff_hr, manager_user, site_a):
    client = api_as(staff_hr)
    before = snapshot(manager_user)

    page = client.get(f"/admin/technicians/user/{manager_user.pk}/change/")
    posted = client.post(
        f"/admin/technicians/user/{manager_user.pk}/change/",
        admin_form(client, manager_user, role="admin", is_superuser="on", is_staff="on"),
    )

    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    assert b'<option value="admin"' not in page.content and b'<option value="hr"' not in page.content
    assert posted.status_code == 200  # the form again, with the refused role
    assert "role" in posted.context["adminform"].form.errors
    assert snapshot(manager_user) == before


def test_a_staff_hr_can_still_manage_a_manager_in_the_django_admin(staff_hr, manager_user, site_a):
    client = api_as(staff_hr)

    posted = client.post(
        f"/admin/technicians/user/{manager_user.pk}/change/", admin_form(client, manager_user, email="m@example.org")
    )

    assert posted.status_code == 302
    manager_user.refresh_from_db()
    assert (manager_user.email, manager_user.role, manager_user.is_superuser) == ("m@example.org", "manager", False)


def test_an_admin_cannot_change_its_own_role_in_the_django_admin(admin_user):
    client = api_as(admin_user)

    page = client.get(f"/admin/technicians/user/{admin_user.pk}/change/")

    assert page.status_code == 200
    assert b'name="role"' not in page.content and b'name="is_superuser"' not in page.content


def test_an_admin_changing_a_role_in_the_django_admin_ends_that_logins_sessions(admin_user, manager_user, site_a):
    device = Client()
    assert log_in(device, "manager", PASSWORD).status_code == 302
    client = api_as(admin_user)

    posted = client.post(
        f"/admin/technicians/user/{manager_user.pk}/change/",
        admin_form(client, manager_user, role="evaluator", technician=TechnicianFactory(site=site_a).pk),
    )

    assert posted.status_code == 302
    assert User.objects.get(pk=manager_user.pk).role == "evaluator"
    assert not UserSession.objects.filter(user=manager_user).exists()


# ---- a login with Django admin rights is the administrators' ---------------------------------


@pytest.mark.parametrize("grant", ["staff", "permission"])
def test_hr_cannot_take_over_a_login_that_has_admin_rights(hr_user, site_a, grant):
    """An administrator made a manager staff, or gave it user permissions: hr setting its
    password would hand hr those rights (the token list in the Django admin, for one)."""
    manager = UserFactory(username="staff-manager", role=User.Role.MANAGER, sites=[site_a])
    if grant == "staff":
        User.objects.filter(pk=manager.pk).update(is_staff=True)
    else:
        manager.user_permissions.add(Permission.objects.get(codename="change_user"))
    before = snapshot(manager)

    response = api_as(hr_user).patch(f"{USERS}{manager.pk}/", {"password": STRONG}, content_type=JSON)

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Only an administrator may change a login that has Django admin rights."},
    )
    assert snapshot(manager) == before


def test_an_admin_may_change_a_login_that_has_admin_rights(admin_user, site_a):
    manager = UserFactory(username="staff-manager", role=User.Role.MANAGER, sites=[site_a])
    User.objects.filter(pk=manager.pk).update(is_staff=True)

    response = api_as(admin_user).patch(f"{USERS}{manager.pk}/", {"password": STRONG}, content_type=JSON)

    assert response.status_code == 200, response.content
    assert User.objects.get(pk=manager.pk).check_password(STRONG)


def test_the_django_admin_adds_a_login_with_its_links_checked(staff_hr, tech_a):
    """A new login in the Django admin gets its role and links on the add page, under the
    API's rule: no technician login without its technician record."""
    client = api_as(staff_hr)
    page = client.get("/admin/technicians/user/add/")
    base = {"username": "new-tech", "password1": STRONG, "password2": STRONG, "usable_password": "true"}

    unlinked = client.post("/admin/technicians/user/add/", {**base, "role": "technician"})
    linked = client.post("/admin/technicians/user/add/", {**base, "role": "technician", "technician": tech_a.pk})

    assert 'name="role"' in page.content.decode()
    assert unlinked.status_code == 200
    assert "A technician login must be linked to its technician record." in unlinked.content.decode()
    assert linked.status_code == 302
    assert User.objects.get(username="new-tech").technician_id == tech_a.pk
