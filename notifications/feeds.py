"""The technician's deadline calendar as iCalendar (RFC 5545), for Outlook, Google Calendar and
Apple Calendar subscriptions.

Every deadline is an all-day event (``DTSTART;VALUE=DATE`` and the next day as ``DTEND``), with
a stable ``UID`` so that a moved date updates the event in the subscriber's calendar. Calendars
poll the feed themselves; ``REFRESH-INTERVAL`` / ``X-PUBLISHED-TTL`` ask for twice a day.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from icalendar import Calendar, Event

from notifications.selectors import CalendarEvent

REFRESH = dt.timedelta(hours=12)


def calendar_ics(*, owner_name: str, events: list[CalendarEvent], site_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//CareerLadder//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"CareerLadder deadlines: {owner_name}")
    calendar.add("x-wr-caldesc", "PTCB, certification, competency and training deadlines from CareerLadder.")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT12H")  # the same twelve hours, in the form Outlook reads
    stamp = timezone.now()
    base = site_url.rstrip("/")
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + dt.timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", f"{item.description}\n{base}{item.link}")
        event.add("url", f"{base}{item.link}")
        event.add("categories", [item.kind])
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        calendar.add_component(event)
    return calendar.to_ical()
