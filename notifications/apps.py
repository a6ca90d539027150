from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = "Notifications and calendar feeds"

    def ready(self) -> None:
        # Registers the tasks, which services queue by name (careerladder.core.queue.task).
        from notifications import tasks  # noqa: F401
