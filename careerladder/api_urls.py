"""The REST API under /api/v1/. Each app registers its own viewsets on the shared router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from certifications.api import urls as certification_api
from competencies.api import urls as competency_api
from imports.api import urls as import_api
from incentives.api import urls as incentive_api
from metrics.api import urls as metrics_api
from technicians.api import urls as technician_api
from technicians.api.views import AuthTokenView, SiteViewSet, TechnicianViewSet, UserViewSet
from tiers.api import urls as tier_api
from tracks.api import urls as track_api
from training.api import urls as training_api

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("users", UserViewSet, basename="user")
router.register("technicians", TechnicianViewSet, basename="technician")
tier_api.register(router)
competency_api.register(router)
track_api.register(router)
certification_api.register(router)
incentive_api.register(router)
metrics_api.register(router)
training_api.register(router)

app_name = "api"
urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    *technician_api.urlpatterns,
    *tier_api.urlpatterns,
    *certification_api.urlpatterns,
    *metrics_api.urlpatterns,
    *training_api.urlpatterns,
    *import_api.urlpatterns,
    path("", include(router.urls)),
]
