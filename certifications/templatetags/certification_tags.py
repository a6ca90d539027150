"""Template filters for the certification pages."""

from __future__ import annotations

from django import template

from certifications.renewal import format_hours

register = template.Library()


@register.filter
def hours(value) -> str:
    """Contact hours as people write them: 1.50 -> "1.5", 2.00 -> "2", 0.75 -> "0.75"."""
    if value is None or value == "":
        return ""
    return format_hours(value)


@register.filter
def deadline_words(deadline, today) -> str:
    """ "overdue by 12 days", "due today", "41 days left"."""
    if not deadline or not today:
        return ""
    days = (deadline - today).days
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"
