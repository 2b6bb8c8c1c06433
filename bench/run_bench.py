"""Scale benchmark: seed a PostgreSQL clinic, then time patient search and chart pages.

How to run it (from the repository root; PostgreSQL on 127.0.0.1:5432 with trust auth):

    export UV_PYTHON_DOWNLOADS=never
    .venv/bin/python bench/run_bench.py                    # 10,000 patients, 200 requests each
    .venv/bin/python bench/run_bench.py --patients 2000 --requests 50
    .venv/bin/python bench/run_bench.py --skip-seed        # re-measure the existing database

What it does:
1. drops and creates the database (default `openiop_bench`; never point it at real data),
2. runs `openiop migrate` and `openiop createcachetable`,
3. times `openiop seed --patients N` as an operator would run it (a separate process),
4. in this process, with Django's test Client and force_login (no network, no MFA step),
   times GET /clinic/patients/?q=<last name or MRN> and GET /clinic/patients/<MRN>/ for a
   clinician (`therapist`, adult substance-use program) and the director, and prints
   p50/p95/max in milliseconds and the queries one request makes.

Settings come from the environment as in production, except OPENIOP_DEMO=1 (no SECRET_KEY
needed, MFA not required, plain HTTP) and ALLOWED_HOSTS=testserver for the test Client.
Results go in docs/benchmarks.md with the machine they were measured on.
"""

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/openiop_bench"
USERS = ("therapist", "director")
WARM_UP_REQUESTS = 10


def main() -> None:
    options = parse_args()
    configure_environment(options.database_url)
    if not options.skip_seed:
        recreate_database(options.database_url)
        timed("migrate", ["migrate", "--verbosity", "0"])
        timed("createcachetable", ["createcachetable"])
        seed_args = ["seed", "--patients", str(options.patients)]
        if options.jobs:
            seed_args += ["--jobs", str(options.jobs)]
        timed(f"seed --patients {options.patients}", seed_args)
    measure_pages(requests=options.requests, seed=options.seed)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, help="passed to `openiop seed --jobs`")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page and user")
    parser.add_argument("--seed", type=int, default=2026, help="picks the patients searched for")
    parser.add_argument("--skip-seed", action="store_true", help="measure the existing database")
    return parser.parse_args()


def configure_environment(database_url: str) -> None:
    """Set what settings read at import, for this process and the commands it runs."""
    if not database_url.startswith("postgres"):
        sys.exit("run_bench.py: --database-url must be a postgres:// URL")
    os.environ["DATABASE_URL"] = database_url
    os.environ["OPENIOP_DEMO"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")


def recreate_database(database_url: str) -> None:
    import psycopg

    base, _, name = database_url.rpartition("/")
    if not name.startswith("openiop_bench"):
        sys.exit(f"run_bench.py: refusing to drop {name!r}; use a name starting openiop_bench")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    print(f"created database {name}")


def timed(label: str, args: list[str]) -> float:
    """Run `openiop <args>` in a child process, streaming its output; return seconds taken."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "openiop", *args], cwd=REPO, check=True)
    seconds = time.perf_counter() - started
    print(f"openiop {label}: {seconds:.1f} s", flush=True)
    return seconds


def measure_pages(*, requests: int, seed: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from openiop.accounts.models import User
    from openiop.patients.models import Patient

    rng = random.Random(seed)
    print_machine(connection)
    print(f"patients in database: {Patient.objects.count()}")
    print()
    print("| user | page | requests | p50 ms | p95 ms | max ms | queries |")
    print("|---|---|---|---|---|---|---|")
    for username in USERS:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        visible = list(Patient.objects.visible_to(user).values_list("mrn", "legal_last_name"))
        picks = [rng.choice(visible) for _ in range(requests + WARM_UP_REQUESTS)]
        pages = {
            "search by last name": [f"/clinic/patients/?q={last}" for _, last in picks],
            "search by MRN": [f"/clinic/patients/?q={mrn}" for mrn, _ in picks],
            "chart": [f"/clinic/patients/{mrn}/" for mrn, _ in picks],
        }
        for page, urls in pages.items():
            queries = count_queries(connection, lambda: fetch(client, urls[0]))  # noqa: B023
            times = [fetch(client, url) for url in urls]
            times = times[WARM_UP_REQUESTS:]
            print(
                f"| {username} ({user.get_role_display()}, sees {len(visible)}) | {page} "
                f"| {len(times)} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} "
                f"| {max(times):.1f} | {queries} |",
                flush=True,
            )


def fetch(client, url: str) -> float:
    """GET `url`; return milliseconds. Anything but 200 stops the benchmark."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{Path(sys.argv[0]).name}: GET {url} returned {response.status_code}")
    return elapsed


def count_queries(connection, call) -> int:
    """Return how many SQL statements `call()` runs (the test Client resets Django's log)."""
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def print_machine(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL {server_version}"
    )


if __name__ == "__main__":
    main()
