"""Test overlay: fast password hashing and in-memory e-mail; everything else as in base."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# Tests run tasks in process even when CI exports REDIS_URL; the tests that exercise a real
# worker against Redis switch this off themselves (celery_app.conf.update(...)).
CELERY_TASK_ALWAYS_EAGER = True

# Each test process keeps its own cache in memory (tests empty it before every test), whatever
# CACHE_URL says: two pytest processes sharing one Redis would empty each other's entries.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "careerladder-tests",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}
