"""Settings come from the environment; production is the default and must be safe as deployed.

Production settings are loaded in a subprocess, because this test process runs with
OPENIOP_TESTING=1 and settings are read once at start-up.
"""

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

from openiop.lib.env import SettingError, envbool, envsecret

REPO_ROOT = Path(__file__).resolve().parent.parent
# Variables that would turn a production start-up into something else.
NON_PRODUCTION_VARIABLES = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "ALLOWED_HOSTS"}


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def production_env(data_dir: Path, **overrides: str | None) -> dict[str, str]:
    """Return the environment of a production deployment; an override of None unsets it."""
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("OPENIOP_", "DJANGO_")) and name not in NON_PRODUCTION_VARIABLES
    }
    env.update(
        DEBUG="0", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="openiop.example.org",
        OPENIOP_DATA_DIR=str(data_dir),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def openiop_command() -> list[str]:
    script = Path(sys.executable).with_name("openiop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openiop.cli"]


def run_openiop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [*openiop_command(), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )


def loaded_settings(env: dict[str, str], *names: str) -> dict:
    """Return the named settings as a production process with `env` would load them."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE": "openiop.settings"},
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(result.stdout)


def test_check_deploy_finds_no_issues_with_production_settings(tmp_path):
    result = run_openiop("check", "--deploy", env=production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    result = run_openiop("check", env=production_env(tmp_path, SECRET_KEY=None))

    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_reads_the_secret_key_from_secret_key_file(tmp_path):
    key = random_secret_key()
    key_file = tmp_path / "secret_key"
    key_file.write_text(key + "\n")  # as `echo` and most secret stores write it
    env = production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))

    assert loaded_settings(env, "SECRET_KEY") == {"SECRET_KEY": key}
    assert run_openiop("check", "--deploy", env=env).returncode == 0


def test_it_names_a_secret_key_file_that_does_not_exist(tmp_path):
    env = production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "missing"))

    result = run_openiop("check", env=env)

    assert result.returncode == 2
    assert "SECRET_KEY_FILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_names_an_environment_variable_it_cannot_read(tmp_path):
    result = run_openiop("check", env=production_env(tmp_path, DEBUG="maybe"))

    assert result.returncode == 2
    assert "DEBUG must be one of" in result.stderr


def test_production_hashes_passwords_with_argon2_and_requires_staff_mfa(tmp_path):
    loaded = loaded_settings(
        production_env(tmp_path), "PASSWORD_HASHERS", "OPENIOP_REQUIRE_STAFF_MFA",
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "DEBUG",
    )

    assert loaded["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert loaded["OPENIOP_REQUIRE_STAFF_MFA"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["DEBUG"] is False


def test_demo_mode_offers_mfa_instead_of_requiring_it(tmp_path):
    env = production_env(tmp_path, OPENIOP_DEMO="1", SECRET_KEY=None)

    assert loaded_settings(env, "OPENIOP_REQUIRE_STAFF_MFA") == {"OPENIOP_REQUIRE_STAFF_MFA": False}


def test_a_load_balancer_probing_healthz_over_plain_http_is_not_redirected(tmp_path):
    script = (
        "import django; django.setup(); from django.test import Client; client = Client(); "
        "print(client.get('/healthz').status_code, client.get('/').status_code)"
    )
    env = production_env(tmp_path, ALLOWED_HOSTS="testserver")
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE": "openiop.settings"},
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )

    # Every other page is redirected to HTTPS; the health check answers as it is.
    assert result.stdout.split() == ["200", "301"]


def test_tests_hash_passwords_quickly(settings):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_envsecret_reads_the_file_named_by_the_file_variable(tmp_path, monkeypatch):
    secret_file = tmp_path / "db_password"
    secret_file.write_text("s3cret-from-file\n")
    monkeypatch.setenv("DB_PASSWORD", "from-the-variable")
    monkeypatch.setenv("DB_PASSWORD_FILE", str(secret_file))

    # The file wins: it is how Docker and Kubernetes hand secrets over.
    assert envsecret("DB_PASSWORD") == "s3cret-from-file"


def test_envsecret_falls_back_to_the_variable_then_the_default(monkeypatch):
    monkeypatch.delenv("DB_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    assert envsecret("DB_PASSWORD", "fallback") == "fallback"

    monkeypatch.setenv("DB_PASSWORD", "from-the-variable")
    assert envsecret("DB_PASSWORD") == "from-the-variable"


@pytest.mark.parametrize("raw, expected", [("1", True), ("Yes", True), ("off", False), ("", False)])
def test_envbool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)

    assert envbool("SOME_FLAG", not expected) is expected


def test_envbool_names_the_variable_it_cannot_read(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(SettingError, match="^SOME_FLAG must be one of"):
        envbool("SOME_FLAG", False)
