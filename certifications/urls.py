"""Certification pages (mounted at the site root by careerladder/urls.py)."""

from django.urls import path

from certifications import views

app_name = "certifications"
urlpatterns = [
    # A technician's certifications (their own at /certifications/me/).
    path("certifications/", views.certifications_home, name="home"),
    path("certifications/me/", views.my_certifications, name="mine"),
    path("technicians/<int:pk>/certifications/", views.technician_certifications, name="technician"),
    path("technicians/<int:pk>/certifications/add/", views.certification_add, name="certification-add"),
    path("technicians/<int:pk>/ce-credits/add/", views.ce_credit_add, name="ce-credit-add"),
    path("technicians/<int:pk>/practice-tests/add/", views.practice_test_add, name="practice-test-add"),
    path("technicians/<int:pk>/ptcb-extension/", views.ptcb_extension_add, name="ptcb-extension-add"),
    # One certification.
    path("certifications/<int:pk>/", views.certification_detail, name="certification-detail"),
    path("certifications/<int:pk>/edit/", views.certification_edit, name="certification-edit"),
    path("certifications/<int:pk>/delete/", views.certification_delete, name="certification-delete"),
    path("certifications/<int:pk>/verify/", views.certification_verify, name="certification-verify"),
    path("certifications/<int:pk>/return/", views.certification_reject, name="certification-reject"),
    path("certifications/<int:pk>/evidence/", views.certification_evidence, name="certification-evidence"),
    path("certifications/<int:pk>/attest/", views.attestation_add, name="attestation-add"),
    path("attestations/<int:pk>/evidence/", views.attestation_evidence, name="attestation-evidence"),
    path("ce-credits/<int:pk>/delete/", views.ce_credit_delete, name="ce-credit-delete"),
    path("ce-credits/<int:pk>/evidence/", views.ce_credit_evidence, name="ce-credit-evidence"),
    path("ce-credits/<int:pk>/verify/", views.ce_credit_verify, name="ce-credit-verify"),
    path("practice-tests/<int:pk>/delete/", views.practice_test_delete, name="practice-test-delete"),
    # Managers and hr.
    path("certifications/overview/", views.overview, name="overview"),
    path("certifications/verification/", views.verification_queue, name="verification-queue"),
    path("certifications/policy/", views.policy, name="policy"),
    path("certifications/policy/history/", views.policy_history, name="policy-history"),
    path("certifications/types/", views.type_list, name="type-list"),
    path("certifications/types/new/", views.type_create, name="type-create"),
    path("certifications/types/<int:pk>/edit/", views.type_edit, name="type-edit"),
]
