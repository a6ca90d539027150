"""The Celery application: ``celery -A careerladder worker`` / ``celery -A careerladder beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerladder.settings.base")

app = Celery("careerladder")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
