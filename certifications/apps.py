from django.apps import AppConfig


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = "Certifications and continuing education"

    def ready(self) -> None:
        # Registers the tasks, which services queue by name (careerladder.core.queue.task).
        from certifications import tasks  # noqa: F401
