"""Forms of the attendance screens: one roster row (a fieldset per patient), and the outcome of
an outreach call. Times are typed as the clinic's wall clock and turned into instants next to
the session (attendance.rules.moment_near), so a group running past midnight works."""

from django import forms
from django.utils import timezone

from openiop.attendance import rules
from openiop.attendance.models import ABSENT_STATUSES, AttendanceStatus, OutreachOutcome

TIME_WIDGET = {"type": "time", "step": 60}


class SummaryMixin:
    """`error_summary`: [(anchor id, message)], each message naming the patient when there is one."""

    who = ""

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        lead = f"{self.who}: " if self.who else ""
        items = [("", f"{lead}{message}") for message in self.non_field_errors()]
        for name in self.fields:
            if name in self.errors:
                bound = self[name]
                anchor = f"{bound.auto_id}_0" if bound.field.widget.use_fieldset else bound.auto_id
                items.extend((anchor, f"{lead}{bound.label}: {message}") for message in self.errors[name])
        return items


class RosterEntryForm(SummaryMixin, forms.Form):
    status = forms.ChoiceField(label="Attendance", choices=AttendanceStatus.choices, widget=forms.RadioSelect,
                               required=False)
    checked_in_at = forms.TimeField(label="Checked in", required=False,
                                    widget=forms.TimeInput(attrs=TIME_WIDGET, format="%H:%M"))
    checked_out_at = forms.TimeField(label="Checked out", required=False,
                                     widget=forms.TimeInput(attrs=TIME_WIDGET, format="%H:%M"))
    by_telehealth = forms.BooleanField(label="Joined by video (telehealth)", required=False)
    absence_reason = forms.CharField(label="Reason for the absence", required=False, max_length=200,
                                     help_text="Needed for an excused absence.")

    def __init__(self, *args, row, session, **kwargs):
        self.row = row
        self.session = session
        self.who = row.patient.display_name
        attendance = row.attendance
        # The instants the prefilled times stand for: a time posted back unchanged keeps its
        # instant, so a wall-clock time that happens twice (the night the clocks go back) is
        # not moved to its other occurrence.
        self.shown_moments = {
            "checked_in_at": attendance.checked_in_at if attendance and attendance.checked_in_at
            else session.starts_at,
            "checked_out_at": attendance.checked_out_at if attendance and attendance.checked_out_at
            else session.ends_at,
        }
        initial = {
            "checked_in_at": _clock(self.shown_moments["checked_in_at"]),
            "checked_out_at": _clock(self.shown_moments["checked_out_at"]),
            "by_telehealth": attendance.by_telehealth if attendance else session.telehealth,
            "absence_reason": attendance.absence_reason if attendance else "",
            "status": attendance.status if attendance else "",
        }
        super().__init__(*args, prefix=f"a{row.attendee.pk}", initial=initial, **kwargs)

    def entry(self) -> dict | None:
        """The keyword arguments for the service, or None when no status was chosen (not taken yet)."""
        data = self.cleaned_data
        status = data.get("status")
        if not status:
            return None
        entry = {"attendee": self.row.attendee, "status": status, "by_telehealth": data.get("by_telehealth", False),
                 "absence_reason": data.get("absence_reason", "")}
        if status not in ABSENT_STATUSES:
            for name in ("checked_in_at", "checked_out_at"):
                typed = data.get(name)
                if typed is None:
                    entry[name] = None
                elif typed == _clock(self.shown_moments[name]):
                    entry[name] = self.shown_moments[name]
                else:
                    entry[name] = rules.moment_near(typed, self.session.starts_at, self.session.ends_at)
        return entry


class OutreachForm(SummaryMixin, forms.Form):
    outcome = forms.ChoiceField(label="What came of the call", choices=OutreachOutcome.choices,
                                widget=forms.RadioSelect)
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="e.g. Reached, was unwell, coming Thursday. No clinical detail needed here.")


def _clock(moment):
    return timezone.localtime(moment).time().replace(second=0, microsecond=0)
