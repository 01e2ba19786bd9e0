#!/usr/bin/python3
"""The Django peers' manage.py: `migrate` and `bench_users` set a run up (benchmarks/src/http/django-peer.ts)."""
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'authpeer.settings')
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
