from django.urls import path

from technicians import views

app_name = "technicians"
urlpatterns = [
    path("technicians/", views.technician_list, name="list"),
    path("technicians/new/", views.technician_create, name="create"),
    path("technicians/<int:pk>/", views.technician_detail, name="detail"),
    path("technicians/<int:pk>/edit/", views.technician_edit, name="edit"),
    path("technicians/<int:pk>/badge/", views.technician_badge, name="badge"),
    path("technicians/<int:pk>/history/", views.technician_history, name="history"),
    path("sites/", views.site_list, name="site-list"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
]
