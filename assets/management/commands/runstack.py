"""Start the app on this machine — web, Celery beat and two worker pools on the configured (default: embedded)
Postgres, Redis and storage — keep each process running, and stop everything on Ctrl-C.

Renditions and enrichment have pools of their own, so a new upload's thumbnails never wait behind the model
calls of every image queued before it. ``--only`` starts a part of the stack, for a machine that runs only web
or only one pool (docs/deploy.md)."""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core import metrics

PROCESSES = ("web", "beat", "renditions", "enrichment")


def enrichment_nice():
    """How much lower the enrichment pool's CPU priority is (``ENRICHMENT_WORKER_NICE``, 10; 0: the same as the
    rest): on a machine shared with the web and the renditions pool, requests and thumbnails take the cores
    first and the models the rest. In bench/pipeline.py 1,000 uploads took 26 s beside niced models against 42 s
    beside models at the same priority, and the whole pipeline ran 1.16x as fast (docs/benchmarks.md,
    "Pipeline")."""
    return int(os.environ.get("ENRICHMENT_WORKER_NICE", "10"))


def niced(niceness, command):
    """``command`` run at ``niceness`` (POSIX ``nice``, which the process then is: signals reach it directly)."""
    return ["nice", "-n", str(niceness), *command] if niceness else command


class Command(BaseCommand):
    help = "Run web, Celery beat and the renditions and enrichment worker pools, restarting any that dies."

    def add_arguments(self, parser):
        env = os.environ.get
        parser.add_argument("--host", default=env("LUMEN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(env("LUMEN_PORT", "8000")))
        parser.add_argument("--web-workers", type=int,
                            help="gunicorn processes (default: WEB_CONCURRENCY, else one per core; dam/gunicorn_config.py)")
        parser.add_argument("--rendition-concurrency", type=int,
                            default=int(env("RENDITION_WORKER_CONCURRENCY", "1")))
        parser.add_argument("--enrichment-concurrency", type=int,
                            default=int(env("ENRICHMENT_WORKER_CONCURRENCY", "2")))
        parser.add_argument("--enrichment-nice", type=int, default=enrichment_nice(),
                            help="niceness of the enrichment pool (0: the same priority as the rest)")
        parser.add_argument("--only", default=env("LUMEN_PROCESSES", ",".join(PROCESSES)),
                            help=f"comma-separated, from: {', '.join(PROCESSES)}")

    def handle(self, *args, **options):
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = sorted(set(only) - set(PROCESSES))
        if unknown or not only:
            raise CommandError(f"--only takes names from {', '.join(PROCESSES)}; got {options['only']!r}.")
        if "web" in only:  # the machine that serves pages prepares the database and static files
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("ensure_admin")
        metrics.clear_directory()  # this machine's processes start afresh: no figures of an earlier run
        commands = {name: command for name, command in self._commands(options).items() if name in only}
        supervisor = Supervisor(commands, env=dict(os.environ, DATABASE_URL=settings.DATABASE_URL,
                                                   REDIS_URL=settings.REDIS_URL), log=self.stderr.write)
        supervisor.start()
        if "web" in only:
            url = f"http://{options['host']}:{options['port']}/"
            self.stdout.write(self.style.SUCCESS(f"Lumen DAM is running at {url}  (API docs: {url}api/docs/)"))
        self.stdout.write(f"Running {', '.join(commands)}. Press Ctrl-C to stop everything.")
        failed = supervisor.run()
        self.stdout.write("Stopped.")
        if failed:
            raise CommandError(failed)

    def _commands(self, options):
        celery = [sys.executable, "-m", "celery", "-A", "dam"]

        def pool(name, queues, concurrency):
            return [*celery, "worker", "--loglevel", "INFO", "-n", f"{name}@%h", "-Q", queues, "-c", str(concurrency)]

        return {
            # No gunicorn access log: core.metrics.RequestTimingMiddleware writes one line per request already,
            # with the route in place of the path (a signed link's token stays out of the logs).
            "web": [sys.executable, "-m", "gunicorn", "dam.wsgi", "-c", "python:dam.gunicorn_config",
                    "-b", f"{options['host']}:{options['port']}",
                    *(["-w", str(options["web_workers"])] if options["web_workers"] else [])],
            "beat": [*celery, "beat", "--loglevel", "INFO", "-s", str(settings.VAR_DIR / "celerybeat-schedule")],
            # "default" holds the daily jobs and the sweeps: short, and as urgent as renditions.
            "renditions": pool("renditions", "default,renditions", options["rendition_concurrency"]),
            "enrichment": niced(options["enrichment_nice"],
                                pool("enrichment", "enrichment", options["enrichment_concurrency"])),
        }


class Supervisor:
    """Keep named processes running: one that exits is started again after a pause that doubles while it keeps
    dying young (1 s, 2 s … 30 s); one that dies young ``GIVE_UP_AFTER`` times in a row stops the stack,
    since something is wrong with its setup, not its luck.

    Each process leads its own process group, and a dead one's group is killed before the restart: the pool
    children of a killed Celery main process would otherwise finish tasks that Redis hands out again.
    """

    YOUNG_SECONDS = 30
    GIVE_UP_AFTER = 5
    MAX_PAUSE_SECONDS = 30
    STOP_SECONDS = 30

    def __init__(self, commands, *, env, log):
        self.commands = commands
        self.env = env
        self.log = log
        self.processes = {}
        self.started_at = {}
        self.young_deaths = dict.fromkeys(commands, 0)
        self.restart_at = {}
        self.stopping = False

    def start(self):
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        for name in self.commands:
            self._spawn(name)

    def _request_stop(self, *_):
        self.stopping = True

    def _spawn(self, name):
        self.processes[name] = subprocess.Popen(self.commands[name], env=self.env, start_new_session=True)
        self.started_at[name] = time.monotonic()

    def run(self):
        """Watch until asked to stop (or a process keeps failing at start); returns why it stopped, if failed."""
        failure = None
        while not self.stopping and failure is None:
            time.sleep(0.5)
            for name, process in self.processes.items():
                if name in self.restart_at:
                    if time.monotonic() >= self.restart_at[name]:
                        del self.restart_at[name]
                        self._spawn(name)
                elif process.poll() is not None:
                    failure = self._died(name, process)
        self._stop_all()
        return failure

    def _died(self, name, process):
        _signal_group(process.pid, signal.SIGKILL)
        young = time.monotonic() - self.started_at[name] < self.YOUNG_SECONDS
        self.young_deaths[name] = self.young_deaths[name] + 1 if young else 0
        if self.young_deaths[name] >= self.GIVE_UP_AFTER:
            return f"{name} exited {self.GIVE_UP_AFTER} times within {self.YOUNG_SECONDS} s of starting; stopping."
        pause = min(2 ** max(self.young_deaths[name] - 1, 0), self.MAX_PAUSE_SECONDS)
        self.log(f"{name} exited with code {process.returncode}; starting it again in {pause} s.")
        self.restart_at[name] = time.monotonic() + pause
        return None

    def _stop_all(self):
        running = [process for name, process in self.processes.items()
                   if name not in self.restart_at and process.poll() is None]
        for process in running:
            process.terminate()  # the leader: gunicorn and Celery stop their own workers, finishing what they hold
        deadline = time.monotonic() + self.STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.pid, signal.SIGKILL)  # whatever of its group is left
            process.wait()


def _signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
