"""`openiop seed --patients N`: a large synthetic clinic with a year of history, for benchmarks.

Works on SQLite and PostgreSQL (where several processes write chunks at once). Writes through
the same services as the demo loader, so every patient carries the labels and audit events
production would give them.
"""

import os

from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from openiop.demo import data, loader
from openiop.lib.commands import PlainErrorCommand
from openiop.programs.models import Organization

REFUSED = 2


class Command(PlainErrorCommand):
    help = (
        "Add N synthetic patients admitted over the past year (a share discharged) to the demo "
        "organization, creating it first in an empty database. Synthetic people only."
    )
    failure_summary = "seeding failed"
    failure_advice = (
        "Patients already written stay (each chunk is one transaction). "
        "Run with --verbose to see the traceback."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, metavar="N")
        parser.add_argument(
            "--seed", type=int, default=loader.DEMO_SEED + 1, metavar="S",
            help="Random seed; the same seed makes the same people (default %(default)s).",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=200, metavar="K",
            help="Patients written per transaction (default %(default)s).",
        )
        parser.add_argument(
            "--jobs", type=int, metavar="J",
            help="Worker processes writing chunks in parallel (PostgreSQL only; default: one "
            "per CPU core, at most 4, on PostgreSQL and 1 on SQLite).",
        )
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        patients = options["patients"]
        if patients < 1:
            raise CommandError("--patients must be at least 1.", returncode=REFUSED)
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.", returncode=REFUSED)
        jobs = choose_jobs(options["jobs"])
        refuse_unmigrated_database()
        refuse_other_organizations()
        self.stdout.write(
            f"Seeding {patients} synthetic patients on {connection.vendor} "
            f"(seed {options['seed']}, {options['chunk_size']} per transaction, "
            f"{jobs} {'process' if jobs == 1 else 'processes'})"
        )
        summary = loader.seed_clinic(
            patients=patients, seed=options["seed"], chunk_size=options["chunk_size"],
            jobs=jobs, report=self.stdout.write,
        )
        rate = patients / summary.seconds if summary.seconds else 0
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {patients} patients in {summary.seconds:.1f} s ({rate:.0f} patients/s); "
            f"the clinic now has {summary.current_patients} current and "
            f"{summary.discharged_patients} discharged patients, {summary.staff} staff"
        ))


def choose_jobs(requested: int | None) -> int:
    """Return how many processes write: SQLite has one writer at a time, so one there."""
    if connection.vendor != "postgresql":
        if requested and requested > 1:
            raise CommandError(
                "--jobs above 1 needs PostgreSQL: SQLite lets one process write at a time.",
                returncode=REFUSED,
            )
        return 1
    if requested is None:
        return min(os.cpu_count() or 1, 4)
    if requested < 1:
        raise CommandError("--jobs must be at least 1.", returncode=REFUSED)
    return requested


def refuse_unmigrated_database() -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            "the database has unapplied migrations: run `openiop migrate` first.",
            returncode=REFUSED,
        )


def refuse_other_organizations() -> None:
    """Keep synthetic patients out of a database that holds a real clinic."""
    others = Organization.objects.exclude(name=data.ORGANIZATION["name"])
    if others.exists():
        names = ", ".join(others.values_list("name", flat=True)[:3])
        raise CommandError(
            f"this database already holds other organizations ({names}); seed only adds "
            "synthetic patients to an empty or demo database. Point DATABASE_URL at a "
            "scratch database.",
            returncode=REFUSED,
        )
