"""``Technician.ptcb_extended_to``, the stored twin of "the latest PTCB extension's date".

The column stays for the KPI job's speed (the decision is in the field's comment,
technicians/models.py). It is only right while it equals what the ``PtcbExtension`` rows say:
the ``extended_to`` of the technician's extension with the highest id, or nothing. After every
way an extension is written (or an attempt is refused), these tests compare the column with
that, computed by a ``Subquery`` over the rows, for every technician, and with the date worked
out by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from rest_framework.test import APIClient

from careerladder.core.dates import add_months
from careerladder.core.errors import ApplicationError
from certifications import selectors, services
from certifications.models import PtcbExtension
from technicians.models import Technician
from tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/ptcb-extensions/"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def jo(site_a, today):
    """Hired 250 days ago: the policy deadline (9 months) is about 20 days away."""
    return TechnicianFactory(
        site=site_a, first_name="Jo", last_name="Extended", employee_id="A-JO", hire_date=today - dt.timedelta(days=250)
    )


@pytest.fixture
def kim(site_a, today):
    return TechnicianFactory(
        site=site_a, first_name="Kim", last_name="Other", employee_id="A-KIM", hire_date=today - dt.timedelta(days=200)
    )


def stored_and_from_rows() -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """first name -> (the stored column, the latest extension's date from the rows)."""
    latest = PtcbExtension.objects.filter(technician=OuterRef("pk")).order_by("-id").values("extended_to")[:1]
    return {
        first: (stored, from_rows)
        for first, stored, from_rows in Technician.objects.annotate(from_rows=Subquery(latest)).values_list(
            "first_name", "ptcb_extended_to", "from_rows"
        )
    }


def assert_stored(expected: dict[str, dt.date | None]) -> None:
    """The column equals the rows for every technician, and both equal the hand-worked date."""
    rows = stored_and_from_rows()
    drift = [f"{name}: stored {s}, rows say {r}" for name, (s, r) in rows.items() if s != r]
    assert drift == []
    assert {name: s for name, (s, _) in rows.items()} == expected
    for technician in Technician.objects.all():  # and the deadline both PTCB forms read
        python = selectors.ptcb_for(technician=technician, today=timezone.localdate())["deadline"]
        policy = selectors.policy_get().ptcb_window_months
        (sql,) = selectors.with_ptcb(
            Technician.objects.filter(pk=technician.pk), today=timezone.localdate(), window_months=policy
        ).values_list("ptcb_deadline", flat=True)
        assert python == sql == (expected[technician.first_name] or add_months(technician.hire_date, policy)), (
            technician.first_name
        )


def grant(technician, extended_to, *, by, today):
    return services.ptcb_extension_grant(
        technician=technician,
        extended_to=extended_to,
        reason="Exam rescheduled by the test centre",
        granted_by=by,
        today=today,
    )


def test_grants_through_the_service_the_page_and_the_api(client_for, manager_user, jo, kim, today):
    assert_stored({"Jo": None, "Kim": None})

    grant(jo, today + dt.timedelta(days=120), by=manager_user, today=today)
    assert_stored({"Jo": today + dt.timedelta(days=120), "Kim": None})

    # A correction: the newest grant governs although its date is earlier.
    grant(jo, today + dt.timedelta(days=90), by=manager_user, today=today)
    assert_stored({"Jo": today + dt.timedelta(days=90), "Kim": None})

    client = client_for(manager_user)
    page = client.post(
        f"/technicians/{kim.pk}/ptcb-extension/",
        {"extended_to": (today + dt.timedelta(days=150)).isoformat(), "reason": "Illness"},
    )
    assert page.status_code == 302
    assert_stored({"Jo": today + dt.timedelta(days=90), "Kim": today + dt.timedelta(days=150)})

    created = client.post(
        API, {"technician": jo.pk, "extended_to": (today + dt.timedelta(days=100)).isoformat(), "reason": "Closure"}
    )
    assert created.status_code == 201
    assert_stored({"Jo": today + dt.timedelta(days=100), "Kim": today + dt.timedelta(days=150)})

    # Refused grants write nothing: a date before the policy deadline, a date in the past.
    with pytest.raises(ApplicationError):
        grant(jo, today + dt.timedelta(days=1), by=manager_user, today=today)
    assert client.post(API, {"technician": jo.pk, "extended_to": "2020-01-01", "reason": "Past"}).status_code == 400
    assert_stored({"Jo": today + dt.timedelta(days=100), "Kim": today + dt.timedelta(days=150)})


def test_the_api_neither_changes_nor_deletes_an_extension(client_for, manager_user, jo, today):
    extension = grant(jo, today + dt.timedelta(days=120), by=manager_user, today=today)
    client = client_for(manager_user)
    url = f"{API}{extension.pk}/"
    body = {"technician": jo.pk, "extended_to": (today + dt.timedelta(days=200)).isoformat(), "reason": "Edited"}

    answers = [
        client.put(url, body, content_type="application/json").status_code,
        client.patch(url, {"extended_to": body["extended_to"]}, content_type="application/json").status_code,
        client.delete(url).status_code,
    ]

    assert answers == [405, 405, 405]
    assert_stored({"Jo": today + dt.timedelta(days=120)})


def test_the_admin_neither_adds_changes_nor_deletes_an_extension(client_for, admin_user, manager_user, jo, today):
    extension = grant(jo, today + dt.timedelta(days=120), by=manager_user, today=today)
    client = client_for(admin_user)
    base = "/admin/certifications/ptcbextension/"
    new_date = (today + dt.timedelta(days=200)).isoformat()

    answers = [
        client.post(f"{base}add/", {"technician": jo.pk, "extended_to": new_date, "reason": "x"}).status_code,
        client.post(f"{base}{extension.pk}/change/", {"extended_to": new_date, "reason": "x"}).status_code,
        client.post(f"{base}{extension.pk}/delete/", {"post": "yes"}).status_code,
    ]
    bulk = client.post(
        base, {"action": "delete_selected", "_selected_action": [extension.pk], "index": 0, "post": "yes"}
    )

    assert answers == [403, 403, 403]
    # The list has no "delete selected" action to run: the post only shows the list again.
    assert bulk.status_code == 200 and "delete_selected" not in bulk.content.decode()
    assert PtcbExtension.objects.filter(pk=extension.pk).exists()
    assert_stored({"Jo": today + dt.timedelta(days=120)})


def test_created_and_deleted_through_the_orm(jo, kim, today):
    first = PtcbExtension.objects.create(
        technician=jo, extended_to=today + dt.timedelta(days=60), reason="First", granted_on=today
    )
    second = PtcbExtension.objects.create(
        technician=jo, extended_to=today + dt.timedelta(days=45), reason="Second", granted_on=today
    )
    only = PtcbExtension.objects.create(
        technician=kim, extended_to=today + dt.timedelta(days=80), reason="Only", granted_on=today
    )
    assert_stored({"Jo": today + dt.timedelta(days=45), "Kim": today + dt.timedelta(days=80)})

    second.delete()  # the latest goes: the one before governs again
    assert_stored({"Jo": today + dt.timedelta(days=60), "Kim": today + dt.timedelta(days=80)})

    PtcbExtension.objects.get(pk=only.pk).delete()  # the only one goes: the policy deadline again
    assert_stored({"Jo": today + dt.timedelta(days=60), "Kim": None})

    # Deleting an older extension leaves the latest in place.
    third = PtcbExtension.objects.create(
        technician=jo, extended_to=today + dt.timedelta(days=70), reason="Third", granted_on=today
    )
    first.delete()
    assert PtcbExtension.objects.filter(technician=jo).get() == third
    assert_stored({"Jo": today + dt.timedelta(days=70), "Kim": None})


def test_bulk_writes_then_storing_the_latest(jo, kim, today):
    """``bulk_create`` and ``QuerySet.delete`` run no ``save``/``delete``: their callers store
    the latest dates afterwards (``ptcb_extensions_store_latest``, as demo data and the
    benchmark generator do)."""
    PtcbExtension.objects.bulk_create(
        [
            PtcbExtension(technician=jo, extended_to=today + dt.timedelta(days=60), reason="A", granted_on=today),
            PtcbExtension(technician=kim, extended_to=today + dt.timedelta(days=80), reason="B", granted_on=today),
            PtcbExtension(technician=jo, extended_to=today + dt.timedelta(days=40), reason="C", granted_on=today),
        ]
    )
    assert services.ptcb_extensions_store_latest() == 2
    assert_stored({"Jo": today + dt.timedelta(days=40), "Kim": today + dt.timedelta(days=80)})

    PtcbExtension.objects.filter(technician=kim).delete()
    PtcbExtension.objects.filter(technician=jo, reason="C").delete()
    assert services.ptcb_extensions_store_latest() == 2  # Jo's date moves back, Kim's goes
    assert_stored({"Jo": today + dt.timedelta(days=60), "Kim": None})


def test_writes_to_the_technician_leave_the_stored_date_alone(client_for, hr_user, manager_user, jo, site_a, today):
    """No import writes extensions; the technician import and a save of a stale copy change
    the technician, never its stored extension date."""
    stale = Technician.objects.get(pk=jo.pk)
    grant(jo, today + dt.timedelta(days=120), by=manager_user, today=today)

    stale.last_name = "Renamed"
    stale.save()
    assert_stored({"Jo": today + dt.timedelta(days=120)})

    header = "employee_id,first_name,last_name,email,site_code,hire_date,tier,status,termination_date,termination_type"
    row = f"A-JO,Jo,Imported,jo@example.org,{site_a.code},{jo.hire_date.isoformat()},TECH1,leave,,"
    api = APIClient()
    api.force_login(hr_user)
    upload = SimpleUploadedFile("technicians.csv", f"{header}\r\n{row}\r\n".encode())
    response = api.post("/api/v1/imports/technicians/", {"file": upload}, format="multipart")

    assert response.status_code == 200, response.content
    assert Technician.objects.values_list("last_name", "status").get(pk=jo.pk) == ("Imported", "leave")
    assert_stored({"Jo": today + dt.timedelta(days=120)})
