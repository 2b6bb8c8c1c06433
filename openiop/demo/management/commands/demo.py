"""`openiop demo`: a synthetic clinic on SQLite, its logins printed, served on 127.0.0.1.

`openiop/cli.py` turns demo mode on and applies `--data-dir` before settings load, because
settings read OPENIOP_DEMO and OPENIOP_DATA_DIR once, at import.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from openiop.demo import loader
from openiop.lib.commands import PlainErrorCommand
from openiop.lib.env import envbool

HOST = "127.0.0.1"
# Refusals exit with 2, like other usage errors, so scripts can tell them from crashes.
REFUSED = 2


class Command(PlainErrorCommand):
    help = (
        "Build a demo clinic with synthetic patients in a SQLite database, print every demo "
        "login and serve it on http://127.0.0.1:8000 (never use it for real patients)."
    )
    failure_summary = "the demo failed"
    failure_advice = (
        "Run `openiop demo --verbose` to see the traceback, or `openiop demo --reset` "
        "to start again from an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", metavar="DIR",
            help="Directory for the demo's SQLite database (default: ./var).",
        )
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on (default 8000).")
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database and exit without serving."
        )
        parser.add_argument(
            "--reset", action="store_true",
            help="Delete the demo's SQLite database and build the clinic again.",
        )
        parser.add_argument(
            "--verbose", action="store_true", help="Show tracebacks and migration output."
        )
        parser.add_argument(
            "--allow-postgres", action="store_true",
            help="Allow the demo against the PostgreSQL database in DATABASE_URL.",
        )
        parser.add_argument(
            "--allow-no-debug", action="store_true", help="Allow the demo with DEBUG=0."
        )

    def run(self, options) -> None:
        refuse_unsafe_modes(options)
        if not options["no_serve"]:
            refuse_busy_port(options["port"])
        if options["reset"]:
            self.reset_database()
        self.prepare_database(verbose=options["verbose"])
        self.build_clinic()
        url = f"http://{HOST}:{options['port']}/"
        self.print_logins(url)
        if options["no_serve"]:
            again = f"openiop demo --data-dir {options['data_dir']}" if options["data_dir"] else "openiop demo"
            self.stdout.write(f"Not serving (--no-serve). Start it later with: {again}")
            return
        self.serve(options["port"], url)

    def reset_database(self) -> None:
        # Audit events are append-only (deleting rows raises), so a reset removes the file.
        connections.close_all()
        removed = delete_sqlite_files(Path(settings.DATABASES["default"]["NAME"]))
        if removed:
            self.stdout.write(f"Deleted the demo database {removed[0]}")

    def prepare_database(self, *, verbose: bool) -> None:
        where = describe_database()
        self.stdout.write(f"Preparing the database: {where}")
        call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
        call_command("createcachetable", verbosity=1 if verbose else 0)

    def build_clinic(self) -> None:
        if loader.demo_clinic_exists() and not loader.demo_logins_exist():
            raise CommandError(
                "this database holds a clinic made by `openiop seed`, without the demo's "
                "logins. Run `openiop demo --reset` to replace it with the demo clinic, or "
                "use another --data-dir.",
                returncode=REFUSED,
            )
        if loader.demo_clinic_exists():
            summary = loader.summarize_clinic(started=0.0, already_built=True)
            self.stdout.write(
                "The demo clinic is already built; keeping it (run with --reset to rebuild): "
                f"{summary.sites} sites, {summary.programs} programs, "
                f"{summary.current_patients} current and {summary.discharged_patients} "
                f"discharged patients, {summary.staff} staff."
            )
            return
        self.stdout.write("Building demo clinic (synthetic people only)...")
        summary = loader.build_demo_clinic(report=self.stdout.write, with_passwords=True)
        self.stdout.write(self.style.SUCCESS(summary.sentence()))

    def print_logins(self, url: str) -> None:
        logins = loader.demo_logins()
        if not logins:
            raise CommandError("no demo logins found: run `openiop demo --reset` to rebuild.")
        width = max(len(login.username) for login in logins) + 2
        role_width = max(len(login.role) for login in logins) + 2
        name_width = max(len(login.name) for login in logins) + 2
        self.stdout.write("")
        self.stdout.write(f"OpenIOP demo: {url}  (sign in at {url}accounts/login/)")
        self.stdout.write(
            f"Every login uses the password {loader.DEMO_PASSWORD!r}. All people are synthetic; "
            "never enter real patient information."
        )
        for login in logins:
            self.stdout.write(
                f"  {login.username:<{width}}{login.role:<{role_width}}"
                f"{login.name:<{name_width}}sees {login.sees}"
            )
        self.stdout.write("")

    def serve(self, port: int, url: str) -> None:
        # Carry the environment over so the server reads the same demo database.
        env = dict(
            os.environ,
            OPENIOP_DEMO="1",
            OPENIOP_DATA_DIR=str(settings.DATA_DIR),
            DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "openiop.settings"),
        )
        command = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "openiop.wsgi:application",
            "--host", HOST, "--port", str(port),
            # One worker with a few threads is plenty for a demo, and quiets granian's warning
            # about hundreds of Python threads on a small machine.
            "--blocking-threads", "4", "--no-ws",
        ]
        connections.close_all()
        self.stdout.write(f"Serving on {url} (Ctrl-C to stop)")
        self.stdout.flush()
        # granian runs in its own session: Ctrl-C reaches only this command, which asks
        # granian's main process to stop. (When the worker got the terminal's SIGINT as well,
        # granian sometimes waited for it forever.)
        server = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        # The background worker (solver runs and other tasks) lives and stops with the server.
        worker = subprocess.Popen(
            [sys.executable, "-m", "openiop", "db_worker", "--no-reload"],
            env=env, start_new_session=True,
        )
        # Being stopped or losing the terminal must stop the server too, not orphan it.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
        try:
            returncode = server.wait()
        except KeyboardInterrupt:
            stop_server(server)
            self.stdout.write("Demo server stopped.")
            return
        finally:
            stop_server(worker)
        if returncode == 0:
            self.stdout.write("Demo server stopped.")
            return
        raise CommandError(
            f"the web server (granian) stopped with exit code {returncode}; "
            "its messages are above."
        )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_server(server: subprocess.Popen) -> None:
    """Stop granian gracefully, then firmly if it has not finished within a few seconds."""
    # SIGINT to granian's main process only: it stops its workers itself.
    steps = (
        (lambda: os.kill(server.pid, signal.SIGINT), 10),
        (lambda: os.killpg(server.pid, signal.SIGTERM), 5),
        (lambda: os.killpg(server.pid, signal.SIGKILL), 5),
    )
    for send, grace in steps:
        try:
            send()
            server.wait(timeout=grace)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def refuse_unsafe_modes(options) -> None:
    """Refuse what demo mode must not do unless asked explicitly (exit code 2)."""
    if not settings.DEMO_MODE:
        raise CommandError(
            "demo mode is off: run the demo as `openiop demo` (it sets OPENIOP_DEMO=1 before "
            "settings load), or set OPENIOP_DEMO=1.",
            returncode=REFUSED,
        )
    if uses_postgres():
        if options["reset"]:
            raise CommandError(
                "--reset only deletes a SQLite demo database; it never touches PostgreSQL. "
                "Drop the PostgreSQL database yourself if you really mean to.",
                returncode=REFUSED,
            )
        if not options["allow_postgres"]:
            raise CommandError(
                "demo mode refuses to start against PostgreSQL (DATABASE_URL is set): it "
                "publishes a shared password. Unset DATABASE_URL to use SQLite in the data "
                "directory, or pass --allow-postgres if this is a throwaway database.",
                returncode=REFUSED,
            )
    if debug_explicitly_off() and not options["allow_no_debug"]:
        raise CommandError(
            "demo mode refuses to start with DEBUG off (DEBUG=0 is set): the demo is for "
            "trying OpenIOP, not for serving. Unset DEBUG, or pass --allow-no-debug.",
            returncode=REFUSED,
        )
    data_dir = options.get("data_dir")
    if data_dir and not uses_postgres() and Path(data_dir).resolve() != settings.DATA_DIR:
        raise CommandError(
            f"--data-dir {data_dir} came too late: settings already use {settings.DATA_DIR}. "
            f"Run `openiop demo --data-dir {data_dir}` or set OPENIOP_DATA_DIR={data_dir}.",
            returncode=REFUSED,
        )


def refuse_busy_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise CommandError(
                f"port {port} on {HOST} is in use (another demo?). Stop that server or pass "
                f"--port {port + 1}.",
                returncode=REFUSED,
            ) from None


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def debug_explicitly_off() -> bool:
    raw = os.environ.get("DEBUG")
    return raw is not None and not envbool("DEBUG", True)


def describe_database() -> str:
    if uses_postgres():
        database = settings.DATABASES["default"]
        return f"PostgreSQL database {database['NAME']!r} on {database.get('HOST') or 'localhost'}"
    return f"SQLite file {settings.DATABASES['default']['NAME']}"


def delete_sqlite_files(database: Path) -> list[Path]:
    """Delete a SQLite database with its WAL, shared-memory and journal files."""
    removed = []
    for path in [database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]:
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
