"""Create the first site admin once: credentials from env vars, or a generated password printed once."""
import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser if none exists (LUMEN_ADMIN_USER / LUMEN_ADMIN_PASSWORD / LUMEN_ADMIN_EMAIL)."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = os.environ.get("LUMEN_ADMIN_USER", "admin")
        given = os.environ.get("LUMEN_ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        User.objects.create_superuser(username, os.environ.get("LUMEN_ADMIN_EMAIL", ""), password)
        shown = "(from LUMEN_ADMIN_PASSWORD)" if given else password
        self.stdout.write(self.style.WARNING(f"Created admin account: {username} / {shown}  (shown only once)"))
