"""Training pages: a technician's training, assignment forms, the matrix and its exports,
the rotation week view."""

from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("training/", views.mine, name="mine"),
    path("training/technicians/<int:pk>/", views.technician_training, name="technician"),
    path("training/technicians/<int:pk>/assign/", views.assign, name="assign"),
    path("training/assign/", views.bulk_assign, name="bulk-assign"),
    path("training/assignments/<int:pk>/start/", views.assignment_start, name="assignment-start"),
    path("training/assignments/<int:pk>/complete/", views.assignment_complete, name="assignment-complete"),
    path("training/matrix/", views.matrix, name="matrix"),
    path("training/matrix.csv", views.matrix_csv, name="matrix-csv"),
    path("training/matrix.xlsx", views.matrix_xlsx, name="matrix-xlsx"),
    path("training/rotations/", views.rotations, name="rotations"),
]
