"""What gunicorn serves: `gunicorn authpeer.wsgi` (one sync worker, from benchmarks/src/http/django-peer.ts)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'authpeer.settings')
application = get_wsgi_application()
