"""The organisation policy's history page (hr and admin)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certifications import services
from certifications.models import OrgPolicy
from certifications.selectors import policy_get
from tests.audit.test_history_page import entries_of


def _stamp(record) -> str:
    from django.utils import timezone

    return timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")


def test_changes_read_newest_first_with_who_and_what(client_for, hr, admin_user):
    policy_get()  # seeded by a migration
    services.policy_update(data={"ptcb_window_months": 12}, updated_by=hr)
    services.policy_update(data={"practice_pass_mark": 80, "expiring_days": 90}, updated_by=admin_user)

    response = client_for(hr).get("/certifications/policy/history/")

    assert response.status_code == 200
    second, first = OrgPolicy.history.order_by("-history_date", "-history_id")
    admin_name = admin_user.get_full_name() or admin_user.username
    assert entries_of(response.content.decode()) == [
        f"Policy changed {_stamp(second)} · {admin_name} (Admin)"
        " | Practice pass mark (%): 75 → 80"
        " | Expiring horizon (days): 60 → 90",
        # The migration seeded the row without history: the first change shows the state it
        # left and, from the service, what it changed.
        f"Policy changed {_stamp(first)} · Harriet Reed (HR)"
        " | PTCB window (months): 12"
        " | Practice pass mark (%): 75"
        " | Expiring horizon (days): 60"
        " PTCB window (months): 9 → 12",
    ]


def test_policy_page_links_to_the_history_for_hr(client_for, hr, manager):
    assert 'href="/certifications/policy/history/"' in client_for(hr).get("/certifications/policy/").content.decode()
    assert 'href="/certifications/policy/history/"' not in (
        client_for(manager).get("/certifications/policy/").content.decode()
    )


@pytest.mark.parametrize("role", ["technician", "evaluator", "manager"])
def test_other_roles_get_404(client_for, users, role):
    assert client_for(users[role]).get("/certifications/policy/history/").status_code == 404


def test_query_count_does_not_grow_with_changes(client_for, hr):
    client = client_for(hr)
    policy_get()
    counts = []
    for window in (10, 11, 12, 13, 14, 15, 16, 17):
        services.policy_update(data={"ptcb_window_months": window}, updated_by=hr)
        if window in (11, 17):
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/certifications/policy/history/").status_code == 200
            counts.append(len(queries))

    assert counts[0] == counts[1]
