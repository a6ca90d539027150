"""``Technician.ptcb_extended_to``: the latest PTCB extension's date, stored on the technician
and read by every PTCB deadline query (``certifications.selectors.with_ptcb``).

Dates are fixed: technicians hired 2025-01-10 have a policy deadline of 2025-10-10 (9 months);
extensions are granted on 2025-09-01.
"""

from __future__ import annotations

import datetime as dt

import pytest

from certifications import selectors, services
from certifications.models import PtcbExtension
from technicians.models import Technician
from tests.factories import TechnicianFactory

D = dt.date
pytestmark = pytest.mark.django_db
GRANTED = D(2025, 9, 1)
HIRED = D(2025, 1, 10)


def stored(tech) -> dt.date | None:
    return Technician.objects.values_list("ptcb_extended_to", flat=True).get(pk=tech.pk)


@pytest.fixture
def jo(site_a):
    return TechnicianFactory(site=site_a, first_name="Jo", last_name="Extended", employee_id="A-JO", hire_date=HIRED)


def grant(tech, extended_to, *, by=None, on=GRANTED):
    return services.ptcb_extension_grant(
        technician=tech, extended_to=extended_to, reason="Exam rescheduled by the test centre", granted_by=by, today=on
    )


def test_a_granted_extension_is_stored_on_the_technician(jo, manager_user):
    assert stored(jo) is None

    grant(jo, D(2026, 1, 31), by=manager_user)

    assert stored(jo) == D(2026, 1, 31)
    assert jo.ptcb_extended_to == D(2026, 1, 31)  # the caller's instance too


def test_an_extension_created_directly_is_stored_on_the_technician(jo):
    PtcbExtension.objects.create(technician=jo, extended_to=D(2026, 2, 14), reason="Illness", granted_on=GRANTED)

    assert stored(jo) == D(2026, 2, 14)


def test_the_newest_grant_governs_even_when_its_date_is_earlier(jo, manager_user):
    grant(jo, D(2026, 3, 31), by=manager_user)
    grant(jo, D(2026, 1, 15), by=manager_user, on=D(2025, 9, 15))  # a correction

    assert stored(jo) == D(2026, 1, 15)
    assert selectors.ptcb_for(technician=jo, today=GRANTED)["deadline"] == D(2026, 1, 15)


@pytest.mark.parametrize("copy", ["loaded from the database", "the instance that created the row"])
def test_saving_a_copy_taken_before_the_grant_keeps_the_extension(jo, manager_user, copy):
    stale = Technician.objects.get(pk=jo.pk) if copy == "loaded from the database" else jo
    grant(Technician.objects.get(pk=jo.pk), D(2026, 1, 31), by=manager_user)
    assert stale.ptcb_extended_to is None  # this copy never saw the grant

    stale.last_name = "Renamed"
    stale.save()

    fresh = Technician.objects.get(pk=jo.pk)
    assert (fresh.last_name, fresh.ptcb_extended_to) == ("Renamed", D(2026, 1, 31))


def test_storing_the_latest_after_a_bulk_insert(site_a):
    ann, ben, cal = (
        TechnicianFactory(site=site_a, first_name=name, last_name="Bulk", hire_date=HIRED)
        for name in ("Ann", "Ben", "Cal")
    )
    PtcbExtension.objects.bulk_create(
        [
            PtcbExtension(technician=ann, extended_to=D(2026, 2, 28), reason="First", granted_on=GRANTED),
            PtcbExtension(technician=ben, extended_to=D(2026, 1, 31), reason="Only", granted_on=GRANTED),
            PtcbExtension(technician=ann, extended_to=D(2026, 1, 15), reason="Correction", granted_on=GRANTED),
        ]
    )
    assert [stored(t) for t in (ann, ben, cal)] == [None, None, None]  # bulk_create runs no save()

    assert services.ptcb_extensions_store_latest() == 2

    # Ann's latest grant (highest id) is the correction, although its date is the earlier one.
    assert [stored(t) for t in (ann, ben, cal)] == [D(2026, 1, 15), D(2026, 1, 31), None]


def test_the_roster_shows_the_extended_deadline(site_a, manager_user, jo):
    TechnicianFactory(site=site_a, first_name="Di", last_name="Soon", employee_id="A-DI", hire_date=D(2024, 12, 20))

    def roster():
        return [
            (t.full_name, t.ptcb_deadline, t.ptcb_status)
            for t in selectors.ptcb_roster(viewer=manager_user, today=GRANTED, site=site_a.pk)
        ]

    # Di: 2024-12-20 + 9 months = 2025-09-20, 19 days away; Jo: 2025-10-10, 39 days away.
    assert roster() == [
        ("Di Soon", D(2025, 9, 20), "due_soon"),
        ("Jo Extended", D(2025, 10, 10), "due_soon"),
    ]

    grant(jo, D(2026, 1, 31), by=manager_user)

    assert roster() == [
        ("Di Soon", D(2025, 9, 20), "due_soon"),
        ("Jo Extended", D(2026, 1, 31), "on_track"),  # 152 days away
    ]


def test_the_admin_cannot_edit_or_delete_an_extension(client_for, admin_user, jo, manager_user):
    """Only a new grant changes the deadline: the admin shows extensions but never rewrites
    them, so the stored date cannot drift from the latest grant."""
    extension = grant(jo, dt.date(2026, 12, 25), by=manager_user)
    client = client_for(admin_user)
    base = f"/admin/certifications/ptcbextension/{extension.pk}"
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}/change/", {"extended_to": "2027-01-31", "reason": "x"}).status_code == 403
    assert client.get("/admin/certifications/ptcbextension/add/").status_code == 403
    assert PtcbExtension.objects.filter(technician=jo).count() == 1
    assert stored(jo) == dt.date(2026, 12, 25)
