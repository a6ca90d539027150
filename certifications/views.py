"""Certification pages. Scope comes from the selectors (out of scope is a 404); changes go
through the services after a check in ``certifications.permissions`` (refused is a 403)."""

from __future__ import annotations

import mimetypes

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from careerladder.core.errors import ApplicationError
from careerladder.core.views import paginate, query_without, require, require_role, scoped_or_404, technician_or_404
from certifications import permissions, selectors, services
from certifications.acpe import topic_name
from certifications.evidence import kind_of_name
from certifications.forms import (
    AttestationForm,
    CECreditForm,
    CertificationForm,
    CertificationTypeForm,
    PolicyForm,
    PracticeTestForm,
    PtcbExtensionForm,
    RejectForm,
    SiteFilterForm,
)
from certifications.models import Certification, CertificationType, OrgPolicy
from certifications.practice import DOMAINS
from certifications.ptcb import PtcbStatus
from incentives import selectors as incentives_selectors
from technicians.models import Technician
from technicians.permissions import can_manage_technician, is_org_wide
from technicians.roles import MANAGERS, ORG_WIDE, STAFF
from technicians.selectors import Record, role_of

PAGE_SIZE = 50


# --- Helpers --------------------------------------------------------------------------------


def _certification(request, pk) -> Certification:
    try:
        return selectors.certification_get(viewer=request.user, pk=pk, today=timezone.localdate())
    except Certification.DoesNotExist:
        raise Http404("No such certification.") from None


def _attach_errors(form, exc: ValidationError | ApplicationError) -> None:
    if isinstance(exc, ApplicationError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            if field == "domain_scores":
                target = None
            form.add_error(target, errors)
    else:
        form.add_error(None, exc.messages)


def _technician_page_url(technician: Technician, request) -> str:
    if request.user.technician_id == technician.pk:
        return reverse("certifications:mine")
    return reverse("certifications:technician", args=[technician.pk])


def _evidence_response(field_file, *, download_name: str):
    if not field_file:
        raise Http404("No evidence uploaded.")
    kind = kind_of_name(field_file.name)
    content_type = kind.content_type if kind else mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    extension = kind.extension if kind else "bin"
    response = FileResponse(handle, content_type=content_type, filename=f"{download_name}.{extension}")
    # Shown inline (PDF viewer, image) but never as a page that could run script.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- A technician's certifications ---------------------------------------------------------


@login_required
def certifications_home(request):
    """``/certifications/``: staff land on the overview, technicians on their own page."""
    if role_of(request.user) in STAFF:
        return redirect("certifications:overview")
    return redirect("certifications:mine")


@login_required
def my_certifications(request):
    """The technician's own certifications page (deadlines first)."""
    if not request.user.technician_id:
        raise Http404("This login is not linked to a technician record.")
    return _technician_page(request, technician_or_404(request, request.user.technician_id))


@login_required
def technician_certifications(request, pk: int):
    technician = technician_or_404(request, pk, record=Record.CERTIFICATIONS)
    if request.user.technician_id == technician.pk:
        return redirect("certifications:mine")
    return _technician_page(request, technician)


def _technician_page(request, technician: Technician):
    today = timezone.localdate()
    user = request.user
    standing = selectors.technician_standing(technician=technician, today=today)
    tests = standing["practice"]["tests"]
    chart = {
        "labels": [t.taken_on.isoformat() for t in reversed(tests)],
        "overall": [t.score for t in reversed(tests)],
        "domains": {
            key: {"label": label, "scores": [t.domain_scores.get(key) for t in reversed(tests)]}
            for key, label in DOMAINS.items()
        },
        "pass_mark": standing["practice"]["pass_mark"],
    }
    latest_domains = tests[0].domain_scores if tests else {}
    own = permissions.is_own(user, technician)
    oversee = permissions.can_oversee(user, technician)
    show_incentives = own or can_manage_technician(user, technician)
    context = {
        "technician": technician,
        "today": today,
        **standing,
        "own": own,
        "can_record": permissions.can_record_for(user, technician),
        "can_oversee": oversee,
        "ce_credits": list(selectors.ce_credit_list(viewer=user, technician=technician.pk)),
        "extensions": list(selectors.ptcb_extension_list(viewer=user, technician=technician.pk)),
        "incentives": list(incentives_selectors.incentive_list(viewer=user, technician=technician.pk))
        if show_incentives
        else [],
        "show_incentives": show_incentives,
        "chart": chart,
        "latest_domains": [(label, latest_domains.get(key)) for key, label in DOMAINS.items()],
        "ptcb_met": standing["ptcb"]["status"] == PtcbStatus.MET,
    }
    context["ce_total"] = sum((c.hours for c in context["ce_credits"]), 0)
    return render(request, "certifications/technician.html", context)


@login_required
def certification_add(request, pk: int):
    technician = technician_or_404(request, pk)
    require(
        permissions.can_record_for(request.user, technician),
        "You may only record certifications for yourself or for technicians of sites you manage.",
    )
    form = CertificationForm(request.POST or None, request.FILES or None, submit="Save certification")
    if request.method == "POST" and form.is_valid():
        try:
            cert = services.certification_record(technician=technician, recorded_by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            if cert.verified_at:
                messages.success(request, f"{cert.type.name} recorded and verified.")
            else:
                messages.success(request, f"{cert.type.name} recorded. A manager will verify it against the evidence.")
            return redirect(_technician_page_url(technician, request))
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": technician,
            "title": "Add a certification",
            "intro": "Record a certification you hold. It shows as unverified until a manager checks the evidence."
            if permissions.is_own(request.user, technician)
            else "Recorded by a manager, it counts as verified at once.",
            "back": _technician_page_url(technician, request),
        },
    )


@login_required
def certification_detail(request, pk: int):
    cert = _certification(request, pk)
    user = request.user
    history = []
    if can_manage_technician(user, cert.technician) or permissions.is_own(user, cert.technician):
        history = list(cert.history.select_related("history_user").order_by("-history_date", "-history_id")[:20])
    return render(
        request,
        "certifications/certification_detail.html",
        {
            "cert": cert,
            "technician": cert.technician,
            "attestations": list(selectors.attestation_list(viewer=user, certification=cert.pk)),
            "can_change": permissions.can_change_certification(user, cert),
            "can_oversee": permissions.can_oversee(user, cert.technician),
            "history": history,
            "back": _technician_page_url(cert.technician, request),
        },
    )


@login_required
def certification_edit(request, pk: int):
    cert = _certification(request, pk)
    require(
        permissions.can_change_certification(request.user, cert),
        "A verified certification is changed by a manager of the site or HR.",
    )
    initial = {
        "type": cert.type,
        "number": cert.number,
        "issued_on": cert.issued_on,
        "expires_on": cert.expires_on,
    }
    form = CertificationForm(request.POST or None, request.FILES or None, initial=initial, submit="Save changes")
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data or k == "expires_on"}
        try:
            services.certification_update(certification=cert, data=data, updated_by=request.user)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("certifications:certification-detail", pk=cert.pk)
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": cert.technician,
            "title": f"Edit {cert.type.name}",
            "intro": "To record a renewal, set the new expiry date; the history keeps the old one.",
            "back": reverse("certifications:certification-detail", args=[cert.pk]),
        },
    )


@login_required
def certification_delete(request, pk: int):
    cert = _certification(request, pk)
    require(permissions.can_change_certification(request.user, cert), "You may not delete this certification.")
    if request.method == "POST":
        technician = cert.technician
        services.certification_delete(certification=cert, deleted_by=request.user)
        messages.success(request, f"{cert.type.name} removed.")
        return redirect(_technician_page_url(technician, request))
    return render(
        request,
        "certifications/confirm_delete.html",
        {
            "title": f"Remove {cert.type.name}?",
            "what": f"{cert.type.name}{f' no. {cert.number}' if cert.number else ''}, "
            f"issued {cert.issued_on:%B} {cert.issued_on.day}, {cert.issued_on.year}",
            "back": reverse("certifications:certification-detail", args=[cert.pk]),
            "technician": cert.technician,
        },
    )


@login_required
@require_POST
def certification_verify(request, pk: int):
    cert = _certification(request, pk)
    require(
        permissions.can_oversee(request.user, cert.technician),
        "Only a manager of the technician's site or HR verifies, never their own record.",
    )
    try:
        services.certification_verify(certification=cert, verified_by=request.user)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"{cert.type.name} of {cert.technician.full_name} verified.")
    target = request.POST.get("next")
    if target == "queue":
        return redirect("certifications:verification-queue")
    return redirect("certifications:certification-detail", pk=cert.pk)


@login_required
def certification_reject(request, pk: int):
    cert = _certification(request, pk)
    require(
        permissions.can_oversee(request.user, cert.technician),
        "Only a manager of the technician's site or HR returns a certification.",
    )
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_reject(
                certification=cert, rejected_by=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"Returned to {cert.technician.full_name} with your reason.")
            return redirect("certifications:verification-queue")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": cert.technician,
            "title": f"Return {cert.type.name} to {cert.technician.full_name}",
            "intro": "The record leaves the queue until the technician corrects it.",
            "back": reverse("certifications:verification-queue"),
        },
    )


@login_required
def certification_evidence(request, pk: int):
    cert = _certification(request, pk)
    return _evidence_response(cert.evidence, download_name=f"{cert.type.code.lower()}-evidence-{cert.pk}")


@login_required
def attestation_add(request, pk: int):
    cert = _certification(request, pk)
    require(
        permissions.can_oversee(request.user, cert.technician),
        "Only a manager of the technician's site or HR records a supervisor's attestation.",
    )
    if not cert.type.requires_attestation:
        raise Http404("This certification does not renew with an attestation.")
    form = AttestationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attestation_record(certification=cert, recorded_by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Attestation recorded.")
            return redirect("certifications:certification-detail", pk=cert.pk)
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": cert.technician,
            "title": f"Supervisor's attestation for {cert.type.name}",
            "intro": "PTCB asks for a supervisor's attestation of sterile-compounding competency each year "
            "when the CSPT renews.",
            "back": reverse("certifications:certification-detail", args=[cert.pk]),
        },
    )


@login_required
def attestation_evidence(request, pk: int):
    attestation = scoped_or_404(selectors.attestation_list(viewer=request.user), pk)
    return _evidence_response(attestation.evidence, download_name=f"attestation-{attestation.pk}")


# --- CE credits and practice tests ------------------------------------------------------------


@login_required
def ce_credit_add(request, pk: int):
    technician = technician_or_404(request, pk)
    require(permissions.can_record_for(request.user, technician), "You may only log CE credits for yourself.")
    form = CECreditForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            credit = services.ce_credit_record(technician=technician, recorded_by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            if credit.needs_verification and not credit.verified_at:
                text = (
                    f"Logged {credit.hours.normalize():f} h ({credit.get_source_display().lower()}): it counts once "
                    "a manager has checked the proof of completion."
                )
            elif credit.uan:
                text = (
                    f"Logged {credit.hours.normalize():f} h of {topic_name(credit.topic).lower()} "
                    f"({credit.get_audience_display().lower()})."
                )
            else:
                text = f"Logged and verified {credit.hours.normalize():f} h ({credit.get_source_display().lower()})."
            messages.success(request, text)
            return redirect(_technician_page_url(technician, request) + "#ce")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": technician,
            "title": "Log a CE credit",
            "intro": "Copy the details from the statement of credit (or CPE Monitor).",
            "back": _technician_page_url(technician, request) + "#ce",
        },
    )


@login_required
def ce_credit_delete(request, pk: int):
    credit = scoped_or_404(selectors.ce_credit_list(viewer=request.user), pk)
    require(permissions.can_change_record(request.user, credit), "You may not delete this CE credit.")
    technician = credit.technician
    if request.method == "POST":
        services.ce_credit_delete(ce_credit=credit, deleted_by=request.user)
        messages.success(request, "CE credit removed.")
        return redirect(_technician_page_url(technician, request) + "#ce")
    return render(
        request,
        "certifications/confirm_delete.html",
        {
            "title": "Remove this CE credit?",
            "what": f"{credit.title} ({credit.uan or credit.get_source_display()}, {credit.hours.normalize():f} h)",
            "back": _technician_page_url(technician, request) + "#ce",
            "technician": technician,
        },
    )


@login_required
@require_POST
def ce_credit_verify(request, pk: int):
    """A manager of the site or hr has checked the proof of a CE credit without a UAN."""
    credit = scoped_or_404(selectors.ce_credit_list(viewer=request.user), pk)
    try:
        services.ce_credit_verify(ce_credit=credit, verified_by=request.user)
    except ApplicationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Verified: {credit.title} now counts toward the renewal rule.")
    return redirect(_technician_page_url(credit.technician, request) + "#ce")


@login_required
def ce_credit_evidence(request, pk: int):
    credit = scoped_or_404(selectors.ce_credit_list(viewer=request.user), pk)
    return _evidence_response(credit.evidence, download_name=f"ce-credit-{credit.pk}")


@login_required
def practice_test_add(request, pk: int):
    technician = technician_or_404(request, pk)
    require(permissions.can_record_for(request.user, technician), "You may only log practice tests for yourself.")
    form = PracticeTestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.practice_test_record(
                technician=technician,
                taken_on=form.cleaned_data["taken_on"],
                source=form.cleaned_data["source"],
                score=form.cleaned_data["score"],
                domain_scores=form.domain_scores(),
                recorded_by=request.user,
            )
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"Practice test logged: {form.cleaned_data['score']}%.")
            return redirect(_technician_page_url(technician, request) + "#practice")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "technician": technician,
            "title": "Log a practice test",
            "intro": "Enter the overall score and the score for each PTCE knowledge domain from the results page.",
            "back": _technician_page_url(technician, request) + "#practice",
        },
    )


@login_required
def practice_test_delete(request, pk: int):
    test = scoped_or_404(selectors.practice_test_list(viewer=request.user), pk)
    require(permissions.can_change_record(request.user, test), "You may not delete this practice test.")
    technician = test.technician
    if request.method == "POST":
        services.practice_test_delete(practice_test=test)
        messages.success(request, "Practice test removed.")
        return redirect(_technician_page_url(technician, request) + "#practice")
    return render(
        request,
        "certifications/confirm_delete.html",
        {
            "title": "Remove this practice test?",
            "what": f"{test.source}, {test.taken_on:%B} {test.taken_on.day}, {test.taken_on.year}: {test.score}%",
            "back": _technician_page_url(technician, request) + "#practice",
            "technician": technician,
        },
    )


@login_required
def ptcb_extension_add(request, pk: int):
    technician = technician_or_404(request, pk)
    require(
        permissions.can_oversee(request.user, technician),
        "Only a manager of the technician's site or HR grants a PTCB extension, never for themselves.",
    )
    today = timezone.localdate()
    ptcb = selectors.ptcb_for(technician=technician, today=today)
    form = PtcbExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ptcb_extension_grant(technician=technician, granted_by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"PTCB deadline of {technician.full_name} extended.")
            return redirect("certifications:technician", pk=technician.pk)
    return render(
        request,
        "certifications/extension_form.html",
        {
            "form": form,
            "technician": technician,
            "ptcb": ptcb,
            "extensions": list(selectors.ptcb_extension_list(viewer=request.user, technician=technician.pk)),
            "back": reverse("certifications:technician", args=[technician.pk]),
        },
    )


# --- Managers' pages ---------------------------------------------------------------------------


@login_required
def overview(request):
    """A site's (or the organisation's) certification picture: who is overdue or due soon for
    PTCB, which certifications expire, what waits for verification."""
    require_role(request, STAFF)
    today = timezone.localdate()
    status_field = forms.ChoiceField(
        required=False,
        choices=[("", "Not yet certified"), *[c for c in PtcbStatus.choices if c[0] != PtcbStatus.MET]],
        label="PTCB status",
    )
    form = SiteFilterForm(request.GET or None, viewer=request.user, extra={"status": status_field})
    site = form.value("site")
    status = form.value("status")
    roster = paginate(request, selectors.ptcb_roster(viewer=request.user, today=today, site=site, status=status))
    expiring = paginate(
        request, selectors.expiring_certifications(viewer=request.user, today=today, site=site), param="expiring_page"
    )
    role = role_of(request.user)
    return render(
        request,
        "certifications/overview.html",
        {
            "form": form,
            "today": today,
            "counts": selectors.ptcb_counts(viewer=request.user, today=today, site=site),
            "roster": roster,
            "expiring": expiring,
            "queue_count": selectors.verification_queue(viewer=request.user, today=today, site=site).count()
            if role in MANAGERS
            else None,
            "policy": selectors.policy_get(),
            "query": query_without(request, "expiring_page"),
            "expiring_query": query_without(request, "expiring_page"),
            "roster_query": query_without(request),
            "is_hr": is_org_wide(request.user),
            "overseer": role in MANAGERS,
        },
    )


@login_required
def verification_queue(request):
    require_role(request, MANAGERS)
    today = timezone.localdate()
    form = SiteFilterForm(request.GET or None, viewer=request.user)
    site = form.value("site")
    page = paginate(request, selectors.verification_queue(viewer=request.user, today=today, site=site))
    return render(
        request,
        "certifications/verification_queue.html",
        {"form": form, "page": page, "query": query_without(request), "today": today},
    )


@login_required
def policy(request):
    require_role(request, STAFF)
    policy_obj = selectors.policy_get()
    editable = permissions.can_edit_policy(request.user)
    if request.method == "POST":
        require(editable, "Only HR changes the organisation's policy.")
    form = PolicyForm(request.POST or None, instance=policy_obj)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
        form.helper.inputs = []
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(data={k: form.cleaned_data[k] for k in form.changed_data}, updated_by=request.user)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Policy saved. Every PTCB deadline now follows the new window.")
            return redirect("certifications:policy")
    history = list(OrgPolicy.history.select_related("history_user").order_by("-history_date", "-history_id")[:20])
    return render(
        request,
        "certifications/policy.html",
        {"form": form, "editable": editable, "history": history},
    )


@login_required
@require_GET
def policy_history(request):
    """Every change to the organisation policy, who made it and when (hr and admin)."""
    require_role(request, ORG_WIDE)
    page = selectors.policy_history(viewer=request.user, page=request.GET.get("page"))
    return render(request, "certifications/policy_history.html", {"page": page})


@login_required
def type_list(request):
    return render(
        request,
        "certifications/type_list.html",
        {"types": list(selectors.certification_type_list()), "is_hr": is_org_wide(request.user)},
    )


@login_required
def type_create(request):
    require_role(request, ORG_WIDE)
    return _type_form(request, None)


@login_required
def type_edit(request, pk: int):
    cert_type = scoped_or_404(selectors.certification_type_list(), pk)
    require(is_org_wide(request.user), "Only HR edits certification types.")
    return _type_form(request, cert_type)


def _type_form(request, cert_type: CertificationType | None):
    form = CertificationTypeForm(request.POST or None, instance=cert_type)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields if k in form.cleaned_data}
        try:
            if cert_type is None:
                services.certification_type_create(**data)
            else:
                data.pop("code", None)
                services.certification_type_update(certification_type=cert_type, data=data, updated_by=request.user)
        except (ValidationError, ApplicationError) as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Certification type saved.")
            return redirect("certifications:type-list")
    return render(
        request,
        "certifications/form.html",
        {
            "form": form,
            "title": "Add a certification type" if cert_type is None else f"Edit {cert_type.name}",
            "intro": "The renewal rule is organisation policy: PTCB's current numbers are the defaults, and a change "
            "applies to every renewal from the next page view."
            if cert_type is not None
            else "",
            "back": reverse("certifications:type-list"),
            "history": selectors.certification_type_history(certification_type=cert_type) if cert_type else None,
        },
    )
