from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from metrics import selectors
from technicians.selectors import role_of, site_headcounts, tier_distribution


@login_required
def dashboard(request):
    """Manager (own sites) and hr (organisation) overview."""
    if role_of(request.user) not in ("manager", "hr", "admin"):
        raise Http404
    today = timezone.localdate()
    distribution = tier_distribution(viewer=request.user)
    total = sum(row["count"] for row in distribution) or 1
    for row in distribution:
        row["percent"] = round(100 * row["count"] / total)
    return render(
        request,
        "metrics/dashboard.html",
        {
            "today": today,
            "summary": selectors.workforce_summary(viewer=request.user, today=today),
            "distribution": distribution,
            "sites": site_headcounts(viewer=request.user).order_by("code")[:25],
            "site_count": site_headcounts(viewer=request.user).count(),
            "separations": selectors.recent_separations(viewer=request.user),
            "org_wide": role_of(request.user) in ("hr", "admin"),
        },
    )
