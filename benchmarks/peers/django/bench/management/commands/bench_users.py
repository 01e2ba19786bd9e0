"""`manage.py bench_users COUNT PASSWORD`: the run's users, bench-user-0 … in id order, as the Node workspace names them."""
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = 'Creates the benchmark users bench-user-0 … bench-user-(COUNT-1) with one password.'

    def add_arguments(self, parser):
        parser.add_argument('count', type=int)
        parser.add_argument('password')

    def handle(self, *args, count, password, **options):
        # One hash for all (a salt per user would change nothing a login measures, and costs a hash each).
        encoded = make_password(password)
        User.objects.bulk_create([User(username=f'bench-user-{i}', email='', password=encoded) for i in range(count)], batch_size=500)
        self.stdout.write(f'{User.objects.count()} users')
