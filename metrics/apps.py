from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "KPIs and dashboards"

    def ready(self) -> None:
        # Registers the tasks, which services queue by name (careerladder.core.queue.task).
        from metrics import tasks  # noqa: F401
