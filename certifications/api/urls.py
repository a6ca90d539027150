"""API routes of certifications: registered on the shared router by careerladder/api_urls.py."""

from django.urls import path

from certifications.api import views


def register(router) -> None:
    """Register this app's viewsets (names as PRODUCT.md section 4 fixes them, plus the rest)."""
    router.register("certification-types", views.CertificationTypeViewSet, basename="certification-type")
    router.register("certifications", views.CertificationViewSet, basename="certification")
    router.register("practice-tests", views.PracticeTestViewSet, basename="practice-test")
    router.register("ce-credits", views.CECreditViewSet, basename="ce-credit")
    router.register("ptcb-extensions", views.PtcbExtensionViewSet, basename="ptcb-extension")
    router.register("attestations", views.AttestationViewSet, basename="attestation")


# Extra (non-viewset) API paths of this app, mounted under /api/v1/.
urlpatterns: list = [
    path("certification-policy/", views.PolicyView.as_view(), name="certification-policy"),
]
