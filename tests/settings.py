"""Test settings: the real settings, with what tests must not depend on switched off."""

import os

os.environ.setdefault("DJANGO_DEBUG", "True")

from renewal_desk.settings import *  # noqa: F403
from renewal_desk.settings import BASE_DIR, DATABASES

# whitenoise's manifest storage needs collectstatic; tests use plain static storage (TOOLCHAIN.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; real hashers in production
SMS_BACKEND = "followups.sms.LocmemBackend"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
REPORTS_DIR = MEDIA_ROOT / "reports"
SMS_FILE_PATH = str(BASE_DIR / "var" / "test-sms")
# Tests run tasks in-process unless a test explicitly talks to the real broker.
CELERY_TASK_ALWAYS_EAGER = True
DATABASES["default"]["CONN_MAX_AGE"] = 0
