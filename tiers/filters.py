"""The filters of the promotion lists, one FilterSet for the promotion queue, the ready page
and ``GET /api/v1/promotions/``."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from careerladder.core.filters import IdFilter
from tiers.models import Promotion


class PromotionFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="technician__site_id")
    to_tier = django_filters.CharFilter(field_name="to_tier__code")

    class Meta:
        model = Promotion
        fields = ["status", "technician", "site", "to_tier"]


def promotions_filtered(queryset: QuerySet[Promotion], **filters) -> QuerySet[Promotion]:
    """``queryset`` narrowed by ``PromotionFilterSet`` with ``filters`` as its data."""
    data = {name: value for name, value in filters.items() if value not in (None, "")}
    return PromotionFilterSet(data, queryset=queryset).qs
