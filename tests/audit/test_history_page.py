"""The technician history page: one timeline, newest first, for hr and admin only."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careerladder.core.dates import add_months
from competencies import services as competencies_services
from technicians.models import Technician
from tests.factories import TechnicianFactory
from tests.ladder.factories import CompetencyFactory, items_of
from tiers import services as tier_services


class _Entries(HTMLParser):
    """Collects each ``<li data-audit-entry>`` of the page as one whitespace-normalised line."""

    def __init__(self):
        super().__init__()
        self.entries: list[str] = []
        self._depth = 0  # <li> nesting inside the current entry

    def handle_starttag(self, tag, attrs):
        if tag == "li" and any(name == "data-audit-entry" for name, _ in attrs):
            self.entries.append("")
            self._depth = 1
        elif tag == "li" and self._depth:
            self._depth += 1
            self.entries[-1] += " | "

    def handle_endtag(self, tag):
        if tag == "li" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.entries[-1] += data


def entries_of(html: str) -> list[str]:
    parser = _Entries()
    parser.feed(html)
    return [re.sub(r"\s+", " ", entry).strip() for entry in parser.entries]


@pytest.fixture
def nora(hr, manager, site_a, token_api):
    """Nora is hired by hr through the API, then separated by her manager through the API."""
    created = token_api(hr).post(
        "/api/v1/technicians/",
        {
            "employee_id": "A-77",
            "first_name": "Nora",
            "last_name": "Quinn",
            "email": "nora.quinn@example.org",
            "site": site_a.pk,
            "hire_date": "2024-03-04",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    separated = token_api(manager).patch(
        f"/api/v1/technicians/{pk}/",
        {"status": "terminated", "termination_date": "2025-06-30", "termination_type": "voluntary"},
        format="json",
    )
    assert separated.status_code == 200, separated.content
    return Technician.objects.get(pk=pk)


def _stamp(record) -> str:
    from django.utils import timezone

    return timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")


def test_worked_example_reads_newest_first_with_who_and_what(client_for, hr, nora):
    response = client_for(hr).get(reverse("technicians:history", kwargs={"pk": nora.pk}))

    assert response.status_code == 200
    separation, created = nora.history.order_by("-history_id")[:2]
    assignment = nora.tier_assignments.get().history.get()
    assert entries_of(response.content.decode()) == [
        f"Separation recorded {_stamp(separation)} · Mona Patel (Manager)"
        " | status: active → terminated"
        " | termination date: — → 2025-06-30"
        " | termination type: — → voluntary",
        f"Tier assignment opened: Pharmacy Technician I from 2024-03-04 {_stamp(assignment)} · Harriet Reed (HR)"
        " | tier: Pharmacy Technician I"
        " | start date: 2024-03-04"
        " | reason: hire"
        " | recorded by: Harriet Reed",
        f"Technician record created {_stamp(created)} · Harriet Reed (HR)"
        " | employee ID: A-77"
        " | first name: Nora"
        " | last name: Quinn"
        " | e-mail: nora.quinn@example.org"
        " | site: A01"
        " | hire date: 2024-03-04"
        " | status: active",
    ]
    assert "3 entries" in response.content.decode()


def test_promotion_and_signoff_show_who_signed(client_for, hr, manager, evaluator, tech_a):
    competency = CompetencyFactory(code="AUDIT_X", name="Dispensing accuracy", items=1)
    [item] = items_of(competency)
    competencies_services.signoff_record_many(
        technician=tech_a,
        evaluator=evaluator,
        entries=[competencies_services.SignOffInput(item=item)],
        signed_on=dt.date(2025, 5, 2),
        method="observation",
    )
    promotion = tier_services.promotion_nominate(
        technician=tech_a, nominated_by=manager, effective_date=dt.date(2025, 5, 5), note="Ready"
    )
    tier_services.promotion_reject(promotion=promotion, decided_by=hr, reason="Needs CPhT first.")
    promotion.refresh_from_db()

    response = client_for(hr).get(reverse("technicians:history", kwargs={"pk": tech_a.pk}))

    rejected, requested, signed = entries_of(response.content.decode())[:3]
    decided_at = promotion.decided_at
    from django.utils import timezone

    assert rejected.startswith("Promotion rejected: Pharmacy Technician I → Pharmacy Technician II ")
    assert rejected.endswith(
        "· Harriet Reed (HR)"
        " | status: pending → rejected"
        " | rejection reason: — → Needs CPhT first."
        " | decided by: — → Harriet Reed"
        f" | decided at: — → {timezone.localtime(decided_at):%Y-%m-%d %H:%M}"
    )
    assert requested.startswith("Promotion requested: Pharmacy Technician I → Pharmacy Technician II ")
    assert requested.endswith(
        "· Mona Patel (Manager)"
        " | from tier: Pharmacy Technician I"
        " | to tier: Pharmacy Technician II"
        " | effective date: 2025-05-05"
        " | status: pending"
        " | note: Ready"
        " | nominated by: Mona Patel"
    )
    assert signed.startswith("Sign-off recorded: Dispensing accuracy: Dispensing accuracy task 1 ")
    assert signed.endswith(
        "· Eve Evans (Evaluator)"
        " | item: Dispensing accuracy: Dispensing accuracy task 1"
        " | signed by: Eve Evans"
        " | signed on: 2025-05-02"
        " | method: observation"
        " | result: pass"
    )


def test_changes_without_a_user_show_as_system_or_import(client_for, hr, tech_a):
    from tiers.services import technician_update

    technician_update(technician=tech_a, data={"email": "alice@example.org"})
    tech_a.refresh_from_db()
    tech_a.exit_notes = ""
    tech_a.first_name = "Alicia"
    tech_a._change_reason = "Import of hr-2025-06.csv"
    tech_a.save()

    response = client_for(hr).get(reverse("technicians:history", kwargs={"pk": tech_a.pk}))

    imported, by_command = entries_of(response.content.decode())[:2]
    assert imported.endswith("· Import | first name: Alice → Alicia Import of hr-2025-06.csv")
    assert by_command.endswith("· System | e-mail: a-1@example.org → alice@example.org")


@pytest.mark.parametrize("role", ["technician", "evaluator", "manager"])
def test_other_roles_get_404_even_for_technicians_they_see(client_for, users, role, tech_a):
    response = client_for(users[role]).get(reverse("technicians:history", kwargs={"pk": tech_a.pk}))

    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(client, tech_a):
    url = reverse("technicians:history", kwargs={"pk": tech_a.pk})

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_unknown_technician_is_404_and_admin_reads_any_site(client_for, admin_user, hr, tech_b):
    assert client_for(hr).get(reverse("technicians:history", kwargs={"pk": 999_999})).status_code == 404
    assert client_for(admin_user).get(reverse("technicians:history", kwargs={"pk": tech_b.pk})).status_code == 200


def test_detail_page_links_to_history_for_hr_and_admin_only(client_for, users, tech_a):
    link = f'href="{reverse("technicians:history", kwargs={"pk": tech_a.pk})}"'
    shown = {role: link in client_for(users[role]).get(f"/technicians/{tech_a.pk}/").content.decode() for role in users}
    assert shown == {
        "anonymous": False,
        "technician": False,
        "evaluator": False,
        "manager": False,
        "hr": True,
        "admin": True,
    }


def test_history_page_is_read_only(client_for, hr, tech_a):
    response = client_for(hr).post(reverse("technicians:history", kwargs={"pk": tech_a.pk}))

    assert response.status_code == 405


def _busy_technician(site, evaluator, manager, *, sign_offs: int):
    tech = TechnicianFactory(site=site, hire_date=dt.date(2023, 1, 9))
    competency = CompetencyFactory(items=sign_offs)
    for day, item in enumerate(items_of(competency), start=1):
        competencies_services.signoff_record_many(
            technician=tech,
            evaluator=evaluator,
            entries=[competencies_services.SignOffInput(item=item)],
            signed_on=dt.date(2025, 1, day),
            method="observation",
        )
    for month in range(sign_offs):
        tier_services.evaluation_create(
            technician=tech,
            evaluator=manager,
            month=add_months(dt.date(2023, 1, 1), month),
            scores=dict.fromkeys(("accuracy", "productivity", "teamwork", "compliance", "communication"), 4),
        )
    return tech


def test_query_count_does_not_grow_with_entries(client_for, hr, evaluator, manager, site_a):
    small = _busy_technician(site_a, evaluator, manager, sign_offs=2)
    large = _busy_technician(site_a, evaluator, manager, sign_offs=12)
    client = client_for(hr)

    counts = []
    for tech in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("technicians:history", kwargs={"pk": tech.pk}))
        assert response.status_code == 200
        counts.append(len(queries))

    # 2 sign-offs + 2 evaluations + technician + tier assignment, then 12 + 12 + 2.
    assert len(entries_of(client.get(f"/technicians/{small.pk}/history/").content.decode())) == 6
    assert len(entries_of(client.get(f"/technicians/{large.pk}/history/").content.decode())) == 26
    assert counts[0] == counts[1]


def test_pages_of_fifty_newest_first(client_for, hr, evaluator, manager, site_a):
    tech = _busy_technician(site_a, evaluator, manager, sign_offs=30)  # 62 entries
    client = client_for(hr)

    first = entries_of(client.get(f"/technicians/{tech.pk}/history/").content.decode())
    second = entries_of(client.get(f"/technicians/{tech.pk}/history/?page=2").content.decode())

    assert (len(first), len(second)) == (50, 12)
    # The last evaluation recorded (2023-01 + 29 months) comes first, the hire last.
    assert first[0].startswith("Evaluation recorded: June 2025 ")
    assert second[-1].startswith("Technician record created ")
