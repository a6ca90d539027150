"""The REST API under /api/v1/. Each app registers its viewsets here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from technicians.api.views import AuthTokenView, SiteViewSet, TechnicianViewSet, UserViewSet
from tiers.api.views import TierViewSet

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("tiers", TierViewSet, basename="tier")
router.register("users", UserViewSet, basename="user")
router.register("technicians", TechnicianViewSet, basename="technician")

app_name = "api"
urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("", include(router.urls)),
]
