"""WSGI entry point (gunicorn stepwise.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stepwise.settings")
application = get_wsgi_application()
