"""Settings of the exwire Django sample: one app, one SQLite database.

``EXWIRE_SAMPLE_DB`` overrides the database file (the tests use a temporary one).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "exwire-sample-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = ["trade_recorder"]
ROOT_URLCONF = "exwire_site.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXWIRE_SAMPLE_DB", str(BASE_DIR / "db.sqlite3")),
        # Keep the recorder's one connection between batches; close_old_connections()
        # still replaces it after an error or once it is this many seconds old.
        "CONN_MAX_AGE": 600,
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
