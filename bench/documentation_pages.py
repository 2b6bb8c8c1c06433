"""Documentation benchmark: build the demo clinic, then time the clinician's day and the
attendance, notes and medical pages on it.

How to run it (from the repository root):

    export UV_PYTHON_DOWNLOADS=never
    .venv/bin/python -m bench.documentation_pages                     # a fresh demo in /tmp/openiop-bench-docs
    .venv/bin/python -m bench.documentation_pages --skip-build        # re-measure the demo already there

What it does:
1. unless --skip-build, deletes the data directory and times `openiop demo --no-serve` in it
   (SQLite: eight weeks of attendance, notes, medications and screens on about 80 patients),
2. in this process, with Django's test Client and force_login (no network, no MFA step), times
   each page below for the `therapist` (a clinician of the substance-use program) and the
   director, and prints p50/p95/max in milliseconds and the queries one request makes.

The pages: /clinic/ (the day), a past group's roster, its group note, a patient's notes, one
signed note, a patient's attendance, attended hours (last week), medications and drug screens.
Results go in docs/benchmarks.md with the machine they were measured on.
"""

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run_bench import count_queries, fetch, percentile

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path(tempfile.gettempdir()) / "openiop-bench-docs"
USERS = ("therapist", "director")
WARM_UP_REQUESTS = 3


def main() -> None:
    options = parse_args()
    data_dir = Path(options.data_dir)
    os.environ["OPENIOP_DATA_DIR"] = str(data_dir)
    os.environ["OPENIOP_DEMO"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    if not options.skip_build:
        shutil.rmtree(data_dir, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "openiop", "demo", "--data-dir", str(data_dir), "--no-serve"],
                       cwd=REPO, check=True)
        print(f"openiop demo --no-serve (fresh): {time.perf_counter() - started:.1f} s", flush=True)
    measure_pages(requests=options.requests)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DIR))
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and user")
    parser.add_argument("--skip-build", action="store_true", help="measure the demo already in --data-dir")
    return parser.parse_args()


def pages_for(user) -> dict[str, str]:
    """One URL per page, picked from what this user may see in the demo."""
    from django.utils import timezone

    from openiop.attendance.models import Attendance
    from openiop.documentation.models import Note, NoteStatus
    from openiop.patients.models import Patient
    from openiop.scheduling.rules import week_of

    visible = Patient.objects.visible_to(user)
    note = (Note.objects.visible_to(user).filter(status=NoteStatus.SIGNED, kind="group")
            .select_related("patient", "session").order_by("-session__starts_at").first())
    patient = note.patient
    last_week = week_of(timezone.localdate()) - dt.timedelta(days=7)
    assert Attendance.objects.filter(session=note.session).exists()
    assert visible.filter(pk=patient.pk).exists()
    return {
        "the day (/clinic/)": "/clinic/",
        "a group's roster": f"/clinic/schedule/sessions/{note.session_id}/attendance/",
        "its group note": f"/clinic/schedule/sessions/{note.session_id}/note/",
        "a patient's notes": f"/clinic/patients/{patient.mrn}/notes/",
        "one signed note": f"/clinic/notes/{note.pk}/",
        "a patient's attendance": f"/clinic/patients/{patient.mrn}/attendance/",
        "attended hours, last week": f"/clinic/attendance/hours/?week={last_week:%Y-%m-%d}",
        "medications": f"/clinic/patients/{patient.mrn}/medications/",
        "drug screens": f"/clinic/patients/{patient.mrn}/drug-screens/",
    }


def measure_pages(*, requests: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from openiop.accounts.models import User
    from openiop.documentation.models import Note
    from openiop.patients.models import Patient

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite")
    print(f"patients: {Patient.objects.count()}, notes: {Note.objects.count()}")
    print()
    print("| user | page | requests | p50 ms | p95 ms | max ms | queries |")
    print("|---|---|---|---|---|---|---|")
    for username in USERS:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for page, url in pages_for(user).items():
            queries = count_queries(connection, lambda: fetch(client, url))  # noqa: B023
            times = [fetch(client, url) for _ in range(requests + WARM_UP_REQUESTS)][WARM_UP_REQUESTS:]
            print(f"| {username} | {page} | {len(times)} | {percentile(times, 50):.1f} "
                  f"| {percentile(times, 95):.1f} | {max(times):.1f} | {queries} |", flush=True)


if __name__ == "__main__":
    main()
