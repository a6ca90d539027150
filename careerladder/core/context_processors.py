"""Navigation for the base layout, by role."""

from __future__ import annotations

from django.urls import reverse

from technicians.selectors import role_of


def navigation(request) -> dict:
    role = role_of(getattr(request, "user", None))
    if role is None:
        return {"nav_items": [], "user_role": None}
    items: list[tuple[str, str, str]] = []  # (label, url, icon)
    if role == "technician" or getattr(request.user, "technician_id", None):
        items.append(("My progress", reverse("me"), "person-badge"))
        items.append(("My certifications", reverse("certifications:mine"), "patch-check"))
        items.append(("My training", reverse("training:mine"), "journal-check"))
    if role in ("manager", "hr", "admin"):
        items.append(("Dashboard", reverse("dashboard"), "speedometer2"))
    if role in ("manager", "evaluator", "hr", "admin"):
        items.append(("Technicians", reverse("technicians:list"), "people"))
        items.append(("Sites", reverse("technicians:site-list"), "shop"))
    if role in ("manager", "hr", "admin"):
        items.append(("Certifications", reverse("certifications:overview"), "award"))
    if role in ("manager", "evaluator", "hr", "admin"):
        items.append(("Training", reverse("training:matrix"), "grid-3x3"))
    # The promotions page links on to the ladder, the tracks and mentoring; technicians reach
    # those from "Ladder", evaluators from their career map and the sign-off screen.
    if role in ("manager", "hr", "admin"):
        items.append(("Promotions", reverse("tiers:promotion-queue"), "arrow-up-circle"))
    elif role == "technician":
        items.append(("Ladder", reverse("tiers:ladder"), "bar-chart-steps"))
    if role in ("hr", "admin"):
        items.append(("Reports", reverse("metrics:reports"), "file-earmark-bar-graph"))
    if role == "admin":
        items.append(("Admin", reverse("admin:index"), "gear"))
    path = request.path
    nav = [
        {"label": label, "url": url, "icon": icon, "active": path == url or (url != "/" and path.startswith(url))}
        for label, url, icon in items
    ]
    return {"nav_items": nav, "user_role": role}
