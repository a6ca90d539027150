"""The bell's unread count for the base layout.

One ``COUNT`` on a partial index, only for logged-in users, and only when a template actually
shows it: the value is a cached callable that Django's template engine calls on first use.
"""

from __future__ import annotations

from functools import cache

from notifications import selectors


def unread_notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        return selectors.unread_count(user=user)

    return {"notification_unread_count": count}
