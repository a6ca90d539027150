from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careerladder.core"
    label = "core"
    verbose_name = "CareerLadder core"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from careerladder.core import audit

        # A task's changes are the system's, even when it runs eagerly inside a request.
        task_prerun.connect(audit.suspend_request_during_task, dispatch_uid="audit-suspend-request")
        task_postrun.connect(audit.restore_request_after_task, dispatch_uid="audit-restore-request")

        # Login security (careerladder/core/security.py): session bookkeeping, the security log,
        # and a login saved inactive losing its sessions and tokens.
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from careerladder.core import security

        user_logged_in.connect(security.on_user_logged_in, dispatch_uid="security-logged-in")
        user_logged_out.connect(security.on_user_logged_out, dispatch_uid="security-logged-out")
        user_login_failed.connect(security.on_user_login_failed, dispatch_uid="security-login-failed")
        post_save.connect(security.on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="security-user-saved")

        # Cached reads (careerladder/core/versions.py): every write to the career apps moves
        # the data versions the cache keys are made of.
        from careerladder.core import versions

        versions.connect()

        from careerladder.core import tasks  # noqa: F401  (registers the housekeeping task)
