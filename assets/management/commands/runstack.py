"""Start the whole app on this machine: database, broker, worker, beat and web, stopped by Ctrl-C."""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web, Celery worker and beat on the configured (default: embedded) Postgres and Redis."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("LUMEN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("LUMEN_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--worker-concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "2")))

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("ensure_admin")
        children = self._start_children(options)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Lumen DAM is running at {url}  (API docs: {url}api/docs/)"))
        self.stdout.write("Press Ctrl-C to stop everything.")
        self._wait(children)

    def _start_children(self, options):
        env = dict(os.environ, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
        python = sys.executable
        commands = {
            "worker": [python, "-m", "celery", "-A", "dam", "worker", "--loglevel", "INFO",
                       "-Q", "default,renditions,enrichment", "-c", str(options["worker_concurrency"])],
            "beat": [python, "-m", "celery", "-A", "dam", "beat", "--loglevel", "INFO",
                     "-s", str(settings.VAR_DIR / "celerybeat-schedule")],
            "web": [python, "-m", "gunicorn", "dam.wsgi", "-b", f"{options['host']}:{options['port']}",
                    "-w", str(options["web_workers"]), "--timeout", "120", "--access-logfile", "-"],
        }
        return {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}

    def _wait(self, children):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        for name, child in children.items():
            if child.poll() is None:
                child.terminate()
            elif not stopping:
                self.stderr.write(f"{name} exited with code {child.returncode}; stopping the rest.")
        for child in children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
