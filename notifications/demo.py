"""Demo notices for ``manage.py seed_demo``: the daily job, run once for the demo day.

In-app notices only: the demo sends no e-mail (the next real run sends the digests of notices
still unread).
"""

from __future__ import annotations

import datetime as dt

from notifications.services import RunSummary, notifications_run


def demo_notifications_create(*, today: dt.date) -> RunSummary:
    return notifications_run(today=today, send_digests=False)
