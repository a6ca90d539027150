"""The navigation bar's groups per role and its active section (careerladder/core/context_processors.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from careerladder.core.context_processors import NAVIGATION, navigation


def _nav(user, path="/dashboard/"):
    request = RequestFactory().get(path)
    request.user = user
    return navigation(request)


def _shape(context) -> list[tuple[str, list[str]]]:
    return [(g["label"], [e["label"] for e in g["entries"]]) for g in context["nav_groups"]]


def test_anonymous_gets_no_menu():
    assert _nav(AnonymousUser()) == {"nav_groups": [], "nav_items": [], "user_role": None}


def test_manager_gets_groups_with_dropdowns(manager_user):
    context = _nav(manager_user)

    assert _shape(context) == [
        ("Dashboard", ["Dashboard"]),
        ("People", ["Technicians", "Sites"]),
        ("Ladder", ["Promotions", "Ready for promotion", "The ladder", "Tracks", "Mentoring"]),
        ("Certifications", ["Overview", "Verification queue", "Incentives", "Certification types", "Policy"]),
        ("Training", ["Training matrix", "Rotations", "Assign training"]),
    ]
    assert [g["dropdown"] for g in context["nav_groups"]] == [False, True, True, True, True]


def test_hr_and_admin_add_imports_reports_and_admin(hr_user, admin_user):
    hr_groups = dict(_shape(_nav(hr_user)))
    admin_groups = dict(_shape(_nav(admin_user)))

    assert hr_groups["People"] == ["Technicians", "Sites", "Imports"]
    assert list(hr_groups) == ["Dashboard", "People", "Ladder", "Certifications", "Training", "Reports"]
    assert list(admin_groups) == [*hr_groups, "Admin"]


def test_evaluator_with_a_technician_record_gets_own_records_as_a_group(evaluator_user):
    assert _shape(_nav(evaluator_user, "/technicians/")) == [
        ("My records", ["My progress", "My certifications", "My training"]),
        ("People", ["Technicians", "Sites"]),
        ("Ladder", ["The ladder", "Tracks"]),
        ("Training", ["Training matrix", "Rotations"]),
    ]


def test_technician_with_five_pages_gets_plain_links(technician_user):
    context = _nav(technician_user, "/me/")

    assert _shape(context) == [
        ("My progress", ["My progress"]),
        ("My certifications", ["My certifications"]),
        ("My training", ["My training"]),
        ("The ladder", ["The ladder"]),
        ("Tracks", ["Tracks"]),
    ]
    assert [(g["dropdown"], g["active"]) for g in context["nav_groups"]] == [
        (False, True),
        (False, False),
        (False, False),
        (False, False),
        (False, False),
    ]


@pytest.mark.parametrize(
    ("path", "group", "entry", "current"),
    [
        ("/promotions/ready/", "Ladder", "Ready for promotion", "page"),  # longest prefix wins over /promotions/
        ("/promotions/12/", "Ladder", "Promotions", "true"),
        ("/technicians/5/certifications/", "People", "Technicians", "true"),
        ("/enrolments/3/withdraw/", "Ladder", None, None),  # a section without an entry of its own
        ("/certifications/12/", "Certifications", None, None),
        ("/training/technicians/5/", "Training", None, None),
    ],
)
def test_active_section(manager_user, path, group, entry, current):
    context = _nav(manager_user, path)

    assert [g["label"] for g in context["nav_groups"] if g["active"]] == [group]
    active = [(e["label"], e["current"]) for e in context["nav_items"] if e["active"]]
    assert active == ([(entry, current)] if entry else [])


def test_every_entry_names_a_route_and_a_role():
    from django.urls import reverse

    for group in NAVIGATION:
        for entry in group.entries:
            assert reverse(entry.url_name).startswith("/")
            assert entry.roles or entry.for_own_record, entry.label
