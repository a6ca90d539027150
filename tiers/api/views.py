from rest_framework import viewsets

from technicians.permissions import ReadScopedWriteOrgWide
from tiers.api.serializers import TierSerializer
from tiers.models import Tier


class TierViewSet(viewsets.ModelViewSet):
    """The ladder. Everyone logged in reads it; hr and admin edit it."""

    serializer_class = TierSerializer
    permission_classes = [ReadScopedWriteOrgWide]
    queryset = Tier.objects.order_by("rank")
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
