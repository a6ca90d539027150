from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careerladder.core"
    label = "core"
    verbose_name = "CareerLadder core"
