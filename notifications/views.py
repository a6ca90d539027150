"""Notification pages and the calendar feed.

A login reads only its own notices (another login's notice id answers 404); the calendar page
is for logins linked to a technician record (others: 404), read through
``technicians.selectors`` like every technician page. The feed itself needs no login: its
secret token is the credential, and an unknown or replaced token answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST, require_safe

from careerladder.core.errors import ApplicationError
from notifications import feeds, selectors, services
from notifications.models import CalendarFeed, Notification
from technicians.models import Technician
from tiers.selectors import technician_get

PAGE_SIZE = 25


@login_required
@require_GET
def notification_list(request):
    """The viewer's notices, newest first; unread ones highlighted, each linking to where the
    thing is dealt with."""
    unread_only = request.GET.get("show") == "unread"
    qs = selectors.notification_list(viewer=request.user, unread_only=unread_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "notices": page.object_list,
        "unread_only": unread_only,
        "query": "show=unread" if unread_only else "",
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notice read, then go on to ``next`` (the notice's page, when opened from the
    list) or back to the list."""
    try:
        notification = selectors.notification_get(viewer=request.user, pk=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    services.notification_mark_read(notification=notification)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"{count} notice{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:list")


def _own_technician(request) -> Technician:
    if not request.user.technician_id:
        raise Http404("This login is not linked to a technician record.")
    try:
        return technician_get(viewer=request.user, pk=request.user.technician_id)
    except Technician.DoesNotExist:
        raise Http404("No such technician.") from None


@login_required
@require_GET
def calendar_page(request):
    """The technician's calendar subscription: the private feed URL (if any), how to add it to
    Outlook or Google Calendar, and the deadlines it carries."""
    technician = _own_technician(request)
    feed = selectors.calendar_feed_for(user=request.user)
    feed_url = request.build_absolute_uri(reverse("notifications:calendar-feed", args=[feed.token])) if feed else ""
    context = {
        "technician": technician,
        "feed": feed,
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else "",
        "events": selectors.calendar_events(technician=technician, today=timezone.localdate()),
        "today": timezone.localdate(),
    }
    return render(request, "notifications/calendar.html", context)


@login_required
@require_POST
def calendar_link(request):
    """Create the feed URL, replace it with a new one (the old one stops working), or turn it
    off (``action=stop``)."""
    _own_technician(request)
    if request.POST.get("action") == "stop":
        if services.calendar_feed_revoke(user=request.user):
            messages.success(request, "Calendar link turned off: calendars subscribed to it stop updating.")
        return redirect("notifications:calendar")
    existed = selectors.calendar_feed_for(user=request.user) is not None
    try:
        services.calendar_feed_renew(user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("notifications:calendar")
    if existed:
        messages.success(
            request, "New calendar link created. The old link no longer works: subscribe again with this one."
        )
    else:
        messages.success(request, "Calendar link created. Add it to your calendar app as a subscription.")
    return redirect("notifications:calendar")


@require_safe
def calendar_feed(request, token: str):
    """The private ICS feed. No login (calendar apps cannot log in): the token is the secret."""
    try:
        feed = selectors.calendar_feed_by_token(token=token)
    except CalendarFeed.DoesNotExist:
        raise Http404("No such calendar.") from None
    technician = feed.user.technician
    events = selectors.calendar_events(technician=technician, today=timezone.localdate())
    body = feeds.calendar_ics(owner_name=technician.full_name, events=events, site_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="careerladder-deadlines.ics"'
    response["Cache-Control"] = "no-store"  # personal dates; calendar apps poll for fresh copies anyway
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
