"""`openiop demo`: what it builds and prints, and what it refuses to do."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from openiop.demo import loader
from openiop.demo.management.commands import demo as demo_command
from openiop.patients.models import Patient

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def looks_like_sqlite(monkeypatch):
    """Make the guards see SQLite (the suite also runs on PostgreSQL) for refusal tests."""
    monkeypatch.setitem(django_settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")


def run_demo(*args) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def allow_postgres() -> list[str]:
    """When the suite runs on PostgreSQL the demo must be told that is intended."""
    return ["--allow-postgres"] if connection.vendor == "postgresql" else []


def test_it_builds_the_clinic_and_prints_every_login_once(demo_mode):
    allow = allow_postgres()
    first = run_demo(*allow)
    assert "Demo clinic ready: 2 sites, 4 programs" in first
    assert "openiop-demo" in first
    for username in ("director", "therapist", "mhtherapist", "prescriber", "intake",
                     "frontdesk", "billing", "privacy", "admin", "patient", "family"):
        assert f"  {username} " in first
    patients = Patient.objects.count()

    second = run_demo(*allow)
    assert "already built" in second
    assert Patient.objects.count() == patients


def test_it_refuses_a_clinic_made_by_seed_alone(demo_mode):
    loader.prepare_seed_clinic(seed=1, patients=1)
    with pytest.raises(CommandError, match="made by `openiop seed`") as refused:
        run_demo(*allow_postgres())
    assert refused.value.returncode == 2


def test_it_refuses_postgres_unless_asked(demo_mode, monkeypatch):
    monkeypatch.setitem(
        django_settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql"
    )
    with pytest.raises(CommandError, match="refuses to start against PostgreSQL") as refused:
        run_demo()
    assert refused.value.returncode == 2


def test_it_never_resets_a_postgres_database(demo_mode, monkeypatch):
    monkeypatch.setitem(
        django_settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql"
    )
    with pytest.raises(CommandError, match="never touches PostgreSQL"):
        run_demo("--reset", "--allow-postgres")


def test_it_refuses_to_run_with_debug_explicitly_off(demo_mode, looks_like_sqlite, monkeypatch):
    monkeypatch.setenv("DEBUG", "0")
    with pytest.raises(CommandError, match="DEBUG off") as refused:
        run_demo()
    assert refused.value.returncode == 2


def test_it_refuses_to_run_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="openiop demo"):
        run_demo()


def test_it_refuses_a_data_dir_given_after_settings_loaded(demo_mode, looks_like_sqlite, tmp_path):
    with pytest.raises(CommandError, match="came too late"):
        run_demo("--data-dir", str(tmp_path / "elsewhere"))


def test_reset_deletes_the_database_with_its_wal_and_shm_files(tmp_path):
    database = tmp_path / "openiop.sqlite3"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.write_text("")
    (tmp_path / "keep.txt").write_text("not ours")
    removed = demo_command.delete_sqlite_files(database)
    assert len(removed) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def run_command(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
@pytest.mark.django_db(False)
def test_the_openiop_command_builds_the_demo_in_the_data_dir_it_is_given(tmp_path):
    ignored = ("DATABASE_URL", "DEBUG", "OPENIOP_DATA_DIR")
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env["OPENIOP_TESTING"] = "1"  # fast password hashing; nothing else changes
    command = [sys.executable, "-m", "openiop", "demo", "--data-dir", str(tmp_path), "--no-serve"]

    first = run_command(command, env)
    assert first.returncode == 0, first.stderr
    assert "Demo clinic ready" in first.stdout
    assert (tmp_path / "openiop.sqlite3").exists()

    again = run_command(command, env)
    assert again.returncode == 0, again.stderr
    assert "already built" in again.stdout
