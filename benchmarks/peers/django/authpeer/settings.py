"""
The Django peers: DRF's TokenAuthentication, simplejwt's JWTAuthentication
and DRF's SessionAuthentication, each serving `GET /api/me` and the login
that issues its credential, as Debian packages them. One scheme per server,
chosen by AUTHPEER_SCHEME (token, jwt or session); the harness sets the
environment (benchmarks/src/http/django-peer.ts).

Production settings otherwise: DEBUG off, JSON only, no browsable API, the
middleware the scheme needs and no more (the session scheme needs the
session and authentication middleware; the header schemes need none), a
persistent database connection (Django's default of a new connection per
request is not what a deployment on one worker would keep).
"""
import os

SCHEME = os.environ.get('AUTHPEER_SCHEME', 'token')
if SCHEME not in ('token', 'jwt', 'session'):
    raise RuntimeError(f'AUTHPEER_SCHEME must be token, jwt or session, not {SCHEME!r}')

SECRET_KEY = os.environ.get('AUTHPEER_SECRET_KEY', 'authbench-django-peer-not-secret')
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
USE_TZ = True
TIME_ZONE = 'UTC'
USE_I18N = False
ROOT_URLCONF = 'authpeer.urls'
WSGI_APPLICATION = 'authpeer.wsgi.application'
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'

INSTALLED_APPS = [
    'django.contrib.contenttypes',
    'django.contrib.auth',
    'django.contrib.sessions',
    'rest_framework',
    'rest_framework.authtoken',
    'bench',
]

MIDDLEWARE = ['bench.middleware.count_requests']
if SCHEME == 'session':
    MIDDLEWARE += [
        'django.contrib.sessions.middleware.SessionMiddleware',
        'django.contrib.auth.middleware.AuthenticationMiddleware',
    ]

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.sqlite3',
        'NAME': os.environ.get('AUTHPEER_DATABASE', os.path.join(os.path.dirname(__file__), 'peer.sqlite3')),
        'CONN_MAX_AGE': None,
    }
}

# Django's database sessions, in the same SQLite file as the users (a read per request, no write).
SESSION_ENGINE = 'django.contrib.sessions.backends.db'
SESSION_COOKIE_NAME = 'sessionid'

# The harness's users get a cheap hash, as ours do (bench/hashers.py says why).
PASSWORD_HASHERS = ['bench.hashers.SetupPBKDF2PasswordHasher', 'django.contrib.auth.hashers.PBKDF2PasswordHasher']

AUTHENTICATION_CLASSES = {
    'token': ['rest_framework.authentication.TokenAuthentication'],
    'jwt': ['rest_framework_simplejwt.authentication.JWTAuthentication'],
    'session': ['rest_framework.authentication.SessionAuthentication'],
}[SCHEME]

REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': AUTHENTICATION_CLASSES,
    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated'],
    'DEFAULT_RENDERER_CLASSES': ['rest_framework.renderers.JSONRenderer'],
    'DEFAULT_PARSER_CLASSES': ['rest_framework.parsers.JSONParser'],
}

from datetime import timedelta  # noqa: E402

SIMPLE_JWT = {
    # Access tokens outlive a run, as ours do (simplejwt's default is 5 minutes).
    'ACCESS_TOKEN_LIFETIME': timedelta(days=1),
    'ALGORITHM': 'HS256',
    'SIGNING_KEY': os.environ.get('AUTHPEER_JWT_SIGNING_KEY', SECRET_KEY),
    'AUTH_HEADER_TYPES': ('Bearer',),
    'UPDATE_LAST_LOGIN': False,
}

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'stderr': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['stderr'], 'level': 'WARNING'},
    # A refused credential is the expected answer here, not a warning worth a line per request.
    'loggers': {'django.request': {'level': 'ERROR'}},
}
