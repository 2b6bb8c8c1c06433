"""Reads of the audit trail: the privacy officer's access report."""

import datetime as dt

from openiop.audit.models import AuditEvent

REPORT_COLUMNS = [
    ("at", "When (UTC)"),
    ("username", "User"),
    ("role", "Role"),
    ("action", "Action"),
    ("object_type", "Record type"),
    ("object_id", "Record id"),
    ("ip", "IP address"),
    ("request_id", "Request id"),
    ("path", "Where"),
    ("reason", "Break-the-glass reason"),
]


def access_report(patient, since: dt.date | None = None):
    """Return who saw or changed `patient`'s records, newest first."""
    events = AuditEvent.objects.filter(patient=patient)
    if since is not None:
        events = events.filter(at__date__gte=since)
    return events.order_by("-at", "-id")


def report_rows(events):
    """Yield the report as plain rows (header first), for CSV and text output."""
    yield [label for _, label in REPORT_COLUMNS]
    for event in events:
        row = []
        for field, _ in REPORT_COLUMNS:
            value = getattr(event, field)
            if field == "at":
                value = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            row.append("" if value is None else str(value))
        yield row
