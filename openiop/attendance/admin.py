"""Attendance is patient data: it is kept out of the admin site (no ModelAdmin), like rosters.
Corrections go through the roster screen, which audits them (openiop.attendance.services)."""
