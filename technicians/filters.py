"""The filters of every list of technicians, one FilterSet for the pages and the API alike
(``/technicians/``, a site's page, the training matrix, ``GET /api/v1/technicians/``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from careerladder.core.filters import IdFilter
from technicians.models import Technician

SEARCH_WORDS = 5  # words of a search that count; every one must match


class TechnicianFilterSet(django_filters.FilterSet):
    """``site`` (id), ``status``, ``tier`` (the current tier's code: the queryset comes from
    ``tiers.selectors.technician_list``, which annotates it) and ``search``: every word found in
    the first or last name, the employee id or the e-mail address."""

    site = IdFilter(field_name="site_id")
    status = django_filters.ChoiceFilter(choices=Technician.Status.choices)
    tier = django_filters.CharFilter(field_name="current_tier_code", label="Current tier code")
    search = django_filters.CharFilter(method="filter_search", label="Name, employee id or e-mail")

    class Meta:
        model = Technician
        fields = ["site", "status", "tier"]

    def filter_search(self, queryset: QuerySet[Technician], name: str, value: str) -> QuerySet[Technician]:
        for word in value.split()[:SEARCH_WORDS]:
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(employee_id__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset


def technicians_filtered(queryset: QuerySet[Technician], **filters) -> QuerySet[Technician]:
    """``queryset`` narrowed by ``TechnicianFilterSet`` with ``filters`` as its data (values
    a page's form has already checked; empty ones filter nothing)."""
    data = {name: value for name, value in filters.items() if value not in (None, "")}
    return TechnicianFilterSet(data, queryset=queryset).qs
