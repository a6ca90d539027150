"""The imports page (hr and admin), mounted at the site root by careerladder/urls.py."""

from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/template/", views.import_template, name="import-template"),
]
