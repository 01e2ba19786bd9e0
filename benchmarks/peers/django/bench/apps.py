from django.apps import AppConfig
from django.db.backends.signals import connection_created


def sqlite_settings(sender, connection, **kwargs):
    """The same SQLite settings as the app and the Node peers: WAL, synchronous=NORMAL, a busy timeout."""
    if connection.vendor == 'sqlite':
        with connection.cursor() as cursor:
            cursor.execute('PRAGMA journal_mode = WAL')
            cursor.execute('PRAGMA synchronous = NORMAL')
            cursor.execute('PRAGMA busy_timeout = 5000')


class BenchConfig(AppConfig):
    name = 'bench'
    default = True

    def ready(self):
        connection_created.connect(sqlite_settings)
