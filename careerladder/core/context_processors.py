"""Navigation for the base layout, by role: a compact bar of groups with dropdowns.

``NAVIGATION`` is the whole menu as data. Each ``NavGroup`` is a top-level item; its entries
are the pages in it, each with the roles that see it. To add a page, add a ``NavEntry`` to the
group it belongs to (or a new ``NavGroup``); the template needs no change.

Rendering rules (templates/base.html):
- a group shows only the entries the login may open; a group with none is left out;
- a group with one entry is a plain link, a group with more is a Bootstrap dropdown;
- a login with at most ``FLAT_UP_TO`` entries in all (a technician) gets them as plain links,
  since a dropdown would only hide them;
- the active entry is the one whose address is the longest prefix of the current path; a
  group is active when it holds that entry or the path is in one of its ``sections`` (a
  technician's page is under People even though it is not a menu entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from technicians.roles import EVERYONE, MANAGERS, ORG_WIDE, STAFF, Role
from technicians.selectors import role_of

# Who sees an entry (the groups of technicians/roles.py, as sets).
ALL_ROLES = frozenset(EVERYONE)
STAFF_PAGES = frozenset(STAFF)  # evaluator, manager, hr, admin
MANAGER_PAGES = frozenset(MANAGERS)  # manager, hr, admin
ORG_WIDE_PAGES = frozenset(ORG_WIDE)  # hr, admin
ADMIN_PAGES = frozenset({Role.ADMIN})
FLAT_UP_TO = 5


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] = frozenset()
    # Also shown to any login linked to a technician record (an evaluator who is a Lead).
    for_own_record: bool = False

    def visible_to(self, role: str, user) -> bool:
        if role in self.roles:
            return True
        return self.for_own_record and (role == Role.TECHNICIAN or bool(getattr(user, "technician_id", None)))


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    icon: str
    entries: tuple[NavEntry, ...]
    sections: tuple[str, ...] = ()  # path prefixes that belong to the group


NAVIGATION: tuple[NavGroup, ...] = (
    NavGroup(
        "mine",
        "My records",
        "person-badge",
        (
            NavEntry("My progress", "me", "person-badge", for_own_record=True),
            NavEntry("My certifications", "certifications:mine", "patch-check", for_own_record=True),
            NavEntry("My training", "training:mine", "journal-check", for_own_record=True),
        ),
    ),
    NavGroup(
        "dashboard", "Dashboard", "speedometer2", (NavEntry("Dashboard", "dashboard", "speedometer2", MANAGER_PAGES),)
    ),
    NavGroup(
        "people",
        "People",
        "people",
        (
            NavEntry("Technicians", "technicians:list", "people", STAFF_PAGES),
            NavEntry("Sites", "technicians:site-list", "shop", STAFF_PAGES),
            NavEntry("Imports", "imports:imports", "upload", ORG_WIDE_PAGES),
        ),
        sections=("/technicians/", "/sites/", "/imports/"),
    ),
    NavGroup(
        "ladder",
        "Ladder",
        "bar-chart-steps",
        (
            NavEntry("Promotions", "tiers:promotion-queue", "arrow-up-circle", MANAGER_PAGES),
            NavEntry("Ready for promotion", "tiers:promotion-ready", "stars", MANAGER_PAGES),
            NavEntry("The ladder", "tiers:ladder", "bar-chart-steps", ALL_ROLES),
            NavEntry("Tracks", "tracks:tracks", "signpost-split", ALL_ROLES),
            NavEntry("Mentoring", "tracks:mentoring", "person-heart", MANAGER_PAGES),
        ),
        sections=("/promotions/", "/ladder/", "/tracks/", "/enrolments/", "/mentoring/", "/evaluations/"),
    ),
    NavGroup(
        "certifications",
        "Certifications",
        "award",
        (
            NavEntry("Overview", "certifications:overview", "award", MANAGER_PAGES),
            NavEntry("Verification queue", "certifications:verification-queue", "patch-question", MANAGER_PAGES),
            NavEntry("Incentives", "incentives:incentive-list", "gift", MANAGER_PAGES),
            NavEntry("Certification types", "certifications:type-list", "card-list", MANAGER_PAGES),
            NavEntry("Policy", "certifications:policy", "sliders", MANAGER_PAGES),
        ),
        sections=("/certifications/", "/incentives/", "/ce-credits/", "/practice-tests/", "/attestations/"),
    ),
    NavGroup(
        "training",
        "Training",
        "grid-3x3",
        (
            NavEntry("Training matrix", "training:matrix", "grid-3x3", STAFF_PAGES),
            NavEntry("Rotations", "training:rotations", "calendar-week", STAFF_PAGES),
            NavEntry("Assign training", "training:bulk-assign", "journal-plus", MANAGER_PAGES),
        ),
        sections=("/training/",),
    ),
    NavGroup(
        "reports",
        "Reports",
        "file-earmark-bar-graph",
        (NavEntry("Reports", "metrics:reports", "file-earmark-bar-graph", ORG_WIDE_PAGES),),
    ),
    NavGroup("admin", "Admin", "gear", (NavEntry("Admin", "admin:index", "gear", ADMIN_PAGES),)),
)


def _menu(role: str, user) -> list[dict]:
    groups = []
    for group in NAVIGATION:
        entries = [
            {
                "key": e.url_name.replace(":", "-"),
                "label": e.label,
                "url": reverse(e.url_name),
                "icon": e.icon,
                "active": False,
                "current": False,
            }
            for e in group.entries
            if e.visible_to(role, user)
        ]
        if entries:
            groups.append(
                {
                    "key": group.key,
                    "label": group.label,
                    "icon": group.icon,
                    "entries": entries,
                    "sections": group.sections,
                    "active": False,
                }
            )
    return groups


def _mark_active(groups: list[dict], path: str) -> None:
    best: tuple[int, int] | None = None  # (prefix length, 1 for an entry / 0 for a section)
    winner: tuple[dict, dict | None] | None = None
    for group in groups:
        candidates = [(entry["url"], 1, entry) for entry in group["entries"]]
        candidates += [(prefix, 0, None) for prefix in group["sections"]]
        for prefix, is_entry, entry in candidates:
            if prefix != "/" and path.startswith(prefix) and (best is None or (len(prefix), is_entry) > best):
                best, winner = (len(prefix), is_entry), (group, entry)
    if winner is not None:
        group, entry = winner
        group["active"] = True
        if entry is not None:
            entry["active"] = True
            entry["current"] = "page" if entry["url"] == path else "true"


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    role = role_of(user)
    if role is None:
        return {"nav_groups": [], "nav_items": [], "user_role": None}
    groups = _menu(role, user)
    _mark_active(groups, request.path)
    items = [entry for group in groups for entry in group["entries"]]
    if len(items) <= FLAT_UP_TO:
        # Few pages: every one as a plain link.
        groups = [
            {"key": e["key"], "label": e["label"], "icon": e["icon"], "entries": [e], "active": e["active"]}
            for e in items
        ]
    for group in groups:
        group["dropdown"] = len(group["entries"]) > 1
        group["link"] = group["entries"][0]
    return {"nav_groups": groups, "nav_items": items, "user_role": role}
