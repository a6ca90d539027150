from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from careerladder.core import views as core_views
from metrics import views as metrics_views
from technicians import views as technician_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", technician_views.me, name="me"),
    path("dashboard/", metrics_views.dashboard, name="dashboard"),
    path("", include("technicians.urls")),
    path("", include("competencies.urls")),
    path("", include("tiers.urls")),
    path("", include("tracks.urls")),
    path("", include("certifications.urls")),
    path("", include("incentives.urls")),
    path("", include("metrics.urls")),
    path("", include("training.urls")),
    path("", include("notifications.urls")),
    path("", include("imports.urls")),
    path("api/v1/", include("careerladder.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script itself (?script): no inline script under the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

# Unknown URLs under /api/ answer JSON like the rest of the API; pages keep the HTML 404.
handler404 = "careerladder.core.api.not_found"
