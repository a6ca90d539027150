"""The pages: the bell on every page, the list, marking read, and the calendar page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db

D = dt.date


def notice(recipient, technician, n: int, *, read: bool = False, escalated: bool = False, **extra) -> Notification:
    fields = {
        "recipient": recipient,
        "technician": technician,
        "kind": Notification.Kind.TRAINING,
        "threshold": Notification.Threshold.OVERDUE if escalated else Notification.Threshold.DAYS_7,
        "escalated": escalated,
        "key": f"training:{n}:2026-01-20:{'overdue' if escalated else '7'}",
        "due_on": D(2026, 1, 20),
        "title": f"Training notice {n}",
        "detail": "Due on January 20, 2026.",
        "link": "/training/",
        "created_on": D(2026, 1, 13),
        **extra,
    }
    if read:
        from django.utils import timezone

        fields["read_at"] = timezone.now()
    return Notification.objects.create(**fields)


# --- The bell ----------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_on_every_page(client_for, technician_user, manager_user, tech_a):
    notice(technician_user, tech_a, 1)
    notice(technician_user, tech_a, 2)
    notice(technician_user, tech_a, 3, read=True)
    notice(manager_user, tech_a, 4, escalated=True)  # someone else's: not counted
    client = client_for(technician_user)

    for url in ("/notifications/", "/training/", "/certifications/me/"):
        page = client.get(url).content.decode()
        assert 'aria-label="Notifications: 2 unread"' in page, url
        assert 'data-testid="notification-bell"' in page

    client.post(f"/notifications/{Notification.objects.get(title='Training notice 1').pk}/read/")
    assert 'aria-label="Notifications: 1 unread"' in client.get("/training/").content.decode()
    client.post("/notifications/read-all/")
    assert 'aria-label="Notifications: no unread notices"' in client.get("/training/").content.decode()


def test_no_bell_for_anonymous_visitors(client):
    assert 'data-testid="notification-bell"' not in client.get("/accounts/login/").content.decode()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_own_notices_newest_first_with_unread_highlighted(
    client_for, manager_user, technician_user, tech_a
):
    older = notice(manager_user, tech_a, 1, escalated=True, read=True, title="Alice Archer: Training overdue: A")
    newer = notice(manager_user, tech_a, 2, escalated=True, title="Alice Archer: Training overdue: B")
    notice(technician_user, tech_a, 3, title="Notice addressed to Alice")

    page = client_for(manager_user).get("/notifications/").content.decode()

    assert page.index("Training overdue: B") < page.index("Training overdue: A")
    assert "Notice addressed to Alice" not in page
    assert page.count("notice-unread") == 1
    assert f'id="notification-{newer.pk}"' in page.split("notice-unread")[1][:80]
    assert page.count("Escalated") == 2
    assert 'href="/training/"' in page  # the read one links straight to where it is fixed
    assert f'action="/notifications/{newer.pk}/read/"' in page
    assert f'action="/notifications/{older.pk}/read/"' not in page

    unread = client_for(manager_user).get("/notifications/", {"show": "unread"}).content.decode()
    assert "Training overdue: B" in unread
    assert "Training overdue: A" not in unread


def test_the_list_query_count_does_not_grow_with_rows(client_for, manager_user, site_a):
    def fill(count: int, start: int) -> None:
        for n in range(start, start + count):
            technician = TechnicianFactory(site=site_a)
            notice(manager_user, technician, n, escalated=True, read=n % 2 == 0)

    client = client_for(manager_user)
    fill(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/notifications/").status_code == 200
    fill(22, 100)  # 25: one full page
    with CaptureQueriesContext(connection) as many:
        assert client.get("/notifications/").status_code == 200

    assert len(many) == len(few)


# --- Marking read ----------------------------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_goes_where_it_is_fixed(client_for, technician_user, tech_a):
    item = notice(technician_user, tech_a, 1)

    response = client_for(technician_user).post(f"/notifications/{item.pk}/read/", {"next": "/training/"})

    assert (response.status_code, response["Location"]) == (302, "/training/")
    item.refresh_from_db()
    assert item.read_at is not None


def test_mark_read_never_redirects_off_site(client_for, technician_user, tech_a):
    item = notice(technician_user, tech_a, 1)

    response = client_for(technician_user).post(f"/notifications/{item.pk}/read/", {"next": "https://evil.example/"})

    assert response["Location"] == "/notifications/"


def test_someone_elses_notice_is_not_found_and_stays_unread(client_for, technician_user, manager_user, tech_a):
    theirs = notice(manager_user, tech_a, 1, escalated=True)

    response = client_for(technician_user).post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_is_a_post(client_for, technician_user, tech_a):
    item = notice(technician_user, tech_a, 1)

    assert client_for(technician_user).get(f"/notifications/{item.pk}/read/").status_code == 405
    item.refresh_from_db()
    assert item.read_at is None


def test_mark_all_read_touches_only_the_viewers_notices(client_for, technician_user, manager_user, tech_a):
    notice(technician_user, tech_a, 1)
    notice(technician_user, tech_a, 2)
    theirs = notice(manager_user, tech_a, 3, escalated=True)

    response = client_for(technician_user).post("/notifications/read-all/", follow=True)

    assert "2 notices marked as read." in response.content.decode()
    assert Notification.objects.filter(recipient=technician_user, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
