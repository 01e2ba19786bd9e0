"""
What the harness samples between rounds, as the Node servers report it over
IPC: responses served and SQL statements run (a read when it is a SELECT,
transaction control left out), counted at the database connection, the
boundary every query crosses.
"""
import re

from django.db import connection

COUNTS = {'served': 0, 'reads': 0, 'writes': 0}
SAMPLE_PATH = '/__bench__/sample'
_CONTROL = re.compile(r'^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b', re.I)
_READ = re.compile(r'^\s*SELECT\b', re.I)


def _count_statement(execute, sql, params, many, context):
    if not _CONTROL.match(sql):
        COUNTS['reads' if _READ.match(sql) else 'writes'] += 1
    return execute(sql, params, many, context)


def count_requests(get_response):
    def middleware(request):
        if request.path == SAMPLE_PATH:
            return get_response(request)
        with connection.execute_wrapper(_count_statement):
            response = get_response(request)
        COUNTS['served'] += 1
        return response

    return middleware
