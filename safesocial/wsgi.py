"""WSGI entry point for gunicorn or granian: `gunicorn safesocial.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safesocial.settings")
application = get_wsgi_application()
