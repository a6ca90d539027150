"""Track and mentoring pages: the tracks and positions with each technician's progress,
enrolment, and the mentoring page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from careerladder.core.errors import ApplicationError
from careerladder.core.validators import MAX_DATABASE_ID
from careerladder.core.views import PAGE_SIZE, error_to_form, technician_or_404
from technicians import selectors as technician_selectors
from technicians.models import Technician
from technicians.roles import MANAGERS, Role
from technicians.selectors import role_of
from tiers import selectors
from tiers.permissions import can_decide_promotion
from tiers.selectors import technician_list
from tracks import forms as tracks_forms
from tracks import selectors as tracks_selectors
from tracks import services as tracks_services
from tracks.models import Enrolment, Track, TrackPosition
from tracks.permissions import can_enrol, can_record_meeting


def _track_positions():
    return TrackPosition.objects.select_related("track", "min_tier").order_by("track__kind", "position")


@login_required
def tracks(request):
    """The clinical and management tracks; a technician enrols here, a manager enrols theirs."""
    track_rows = list(
        Track.objects.prefetch_related(
            "positions__min_tier", "positions__required_competencies", "positions__required_certifications"
        ).order_by("kind", "name")
    )
    own = None
    if request.user.technician_id:
        own = technician_list(viewer=request.user).filter(pk=request.user.technician_id).first()
    enrolments = []
    if own is not None:
        enrolments = tracks_selectors.enrolments_with_progress(technicians=[own], today=timezone.localdate())
    manager_form = None
    if role_of(request.user) in MANAGERS:
        scoped = technician_list(viewer=request.user).filter(status=Technician.Status.ACTIVE)
        if role_of(request.user) == Role.MANAGER:
            scoped = scoped.filter(site_id__in=technician_selectors.viewer_site_ids(request.user))
        manager_form = tracks_forms.EnrolForm(
            technicians=scoped.order_by("last_name", "first_name"), positions=_track_positions()
        )
    return render(
        request,
        "tracks/tracks.html",
        {
            "tracks": track_rows,
            "own": own,
            "enrolments": enrolments,
            "enrolled_tracks": {e.track_id for e in enrolments if e.status == Enrolment.Status.ACTIVE},
            "manager_form": manager_form,
        },
    )


@login_required
@require_POST
def enrol(request):
    technician_id = request.POST.get("technician") or request.user.technician_id
    if not technician_id or not str(technician_id).isdigit():
        messages.error(request, "Choose the technician to enrol.")
        return redirect("tracks:tracks")
    technician = technician_or_404(request, technician_id)
    if not can_enrol(request.user, technician):
        raise PermissionDenied("You may not enrol this technician.")
    chosen = request.POST.get("position") or ""
    position = (
        TrackPosition.objects.select_related("track").filter(pk=int(chosen)).first()
        if chosen.isdigit() and int(chosen) <= MAX_DATABASE_ID
        else None
    )
    if position is None:
        messages.error(request, "Choose a position to aim for.")
        return redirect("tracks:tracks")
    try:
        tracks_services.enrolment_create(technician=technician, position=position, enrolled_by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{technician.full_name} is enrolled on the {position.track.name}: {position.name}.")
    if request.user.technician_id == technician.pk:
        return redirect("me")
    return redirect("technicians:detail", pk=technician.pk)


@login_required
@require_POST
def enrolment_withdraw(request, pk: int):
    enrolment = get_object_or_404(tracks_selectors.enrolment_list(viewer=request.user), pk=pk)
    if not can_enrol(request.user, enrolment.technician):
        raise PermissionDenied("You may not change this enrolment.")
    try:
        tracks_services.enrolment_withdraw(enrolment=enrolment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Withdrawn from the {enrolment.track.name}.")
    return redirect("tracks:tracks")


@login_required
@require_POST
def enrolment_complete(request, pk: int):
    enrolment = get_object_or_404(tracks_selectors.enrolment_list(viewer=request.user), pk=pk)
    if not can_decide_promotion(request.user, enrolment.technician):
        raise PermissionDenied("The technician's manager or HR records that a position was taken up.")
    try:
        tracks_services.enrolment_complete(enrolment=enrolment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{enrolment.technician.full_name} took up the position {enrolment.position.name}.")
    return redirect("technicians:detail", pk=enrolment.technician_id)


@login_required
def mentoring(request):
    """A mentor's mentees and meetings; managers and hr also see the pairs of their sites and
    assign mentors."""
    role = role_of(request.user)
    mentees = list(tracks_selectors.mentee_list(viewer=request.user))
    is_manager = role in MANAGERS
    if not mentees and not is_manager:
        raise Http404
    loggable = tracks_selectors.mentee_list(viewer=request.user)
    pairs = []
    if is_manager:
        scoped = (
            technician_list(viewer=request.user).filter(status=Technician.Status.ACTIVE).filter(mentor__isnull=False)
        )
        pairs_page = Paginator(scoped.order_by("last_name", "first_name", "id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        pairs = pairs_page
        loggable = Technician.objects.filter(pk__in=scoped.values("pk")) | Technician.objects.filter(
            pk__in=tracks_selectors.mentee_list(viewer=request.user).values("pk")
        )
    meeting_form = tracks_forms.MeetingForm(
        request.POST if request.POST.get("form") == "meeting" else None,
        mentees=loggable.order_by("last_name", "first_name"),
        prefix="meeting",
    )
    assign_form = (
        tracks_forms.MentorAssignForm(
            request.POST if request.POST.get("form") == "assign" else None, viewer=request.user, prefix="assign"
        )
        if is_manager
        else None
    )
    if request.method == "POST":
        if request.POST.get("form") == "meeting" and meeting_form.is_valid():
            data = meeting_form.cleaned_data
            if not can_record_meeting(request.user, data["mentee"]):
                raise PermissionDenied("Only the mentor, the technician's managers and HR log mentoring meetings.")
            try:
                tracks_services.mentoring_meeting_record(
                    mentee=data["mentee"],
                    recorded_by=request.user,
                    met_on=data["met_on"],
                    minutes=data["minutes"],
                    topics=data["topics"],
                    notes=data["notes"],
                    next_steps=data["next_steps"],
                )
            except ApplicationError as exc:
                error_to_form(meeting_form, exc)
            else:
                messages.success(request, f"Meeting with {data['mentee'].full_name} logged.")
                return redirect("tracks:mentoring")
        elif request.POST.get("form") == "assign" and assign_form is not None and assign_form.is_valid():
            data = assign_form.cleaned_data
            try:
                tracks_services.mentor_assign(
                    technician=data["technician"], mentor=data["mentor"], assigned_by=request.user
                )
            except (ApplicationError, ValidationError) as exc:
                error_to_form(assign_form, exc)
            else:
                messages.success(request, f"{data['mentor'].full_name} now mentors {data['technician'].full_name}.")
                return redirect("tracks:mentoring")
    standings = selectors.ladder_standing_many(technicians=mentees, today=timezone.localdate()) if mentees else {}
    for mentee in mentees:
        mentee.standing = standings[mentee.pk]
    meetings = tracks_selectors.mentoring_meeting_list(viewer=request.user)
    if not is_manager:
        meetings = meetings.filter(mentor_id=request.user.technician_id)
    return render(
        request,
        "tracks/mentoring.html",
        {
            "mentees": mentees,
            "pairs": pairs,
            "meeting_form": meeting_form,
            "assign_form": assign_form,
            "meetings": meetings.order_by("-met_on", "-id")[:30],
            "is_manager": is_manager,
        },
    )
