from django.apps import AppConfig


class TechniciansConfig(AppConfig):
    name = "technicians"
    verbose_name = "Sites, technicians and users"
