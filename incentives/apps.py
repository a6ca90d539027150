from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Incentives"

    def ready(self) -> None:
        # Registers the tasks, which services queue by name (careerladder.core.queue.task).
        # A verified certificate or a CE credit may complete an incentive's trigger.
        from certifications.signals import credential_counted
        from incentives import tasks  # noqa: F401
        from incentives.services import on_credential_counted

        credential_counted.connect(on_credential_counted, dispatch_uid="incentives-credential-counted")
