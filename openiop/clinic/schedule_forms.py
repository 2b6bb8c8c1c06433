"""Forms for the clinic's schedule screens.

The forms collect what was typed and turn chosen ids into objects; the rules (conflicts, who
is admitted where, what may change once a session has started) live in
`openiop.scheduling.services` and `openiop.scheduling.conflicts`.

Choices (programs, rooms, staff, group types, patients) are worked out once per page by the
view and handed to the forms as {str(pk): object}, so a page costs no extra queries per field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.scheduling.models import SessionKind
from openiop.scheduling.rules import local_moment, week_bounds, week_of

AGREED_LABEL = "Book anyway: the patient agreed to come at this time"


@dataclass
class ScheduleChoices:
    """The related rows a schedule form chooses from, each as {str(pk): object}."""

    programs: dict = field(default_factory=dict)
    rooms: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)
    group_types: dict = field(default_factory=dict)
    patients: dict = field(default_factory=dict)
    series: dict = field(default_factory=dict)


def _choices(objects: dict, *, empty: str | None = None, describe=str) -> list[tuple[str, str]]:
    listed = [(key, describe(obj)) for key, obj in objects.items()]
    return [("", empty), *listed] if empty is not None else listed


def staff_label(user) -> str:
    return f"{user.display_name} ({user.get_role_display()})"


def patient_label(patient) -> str:
    return f"{patient.legal_last_name}, {patient.preferred_name or patient.legal_first_name} (MRN {patient.mrn})"


def room_label(room) -> str:
    return f"{room.name} (seats {room.capacity})"


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ScheduleForm(ErrorSummaryMixin, forms.Form):
    def __init__(self, *args, choices: ScheduleChoices, **kwargs):
        self.schedule_choices = choices
        super().__init__(*args, **kwargs)

    def _object(self, source: str, key):
        return getattr(self.schedule_choices, source).get(str(key or ""))


class PlaceMixin:
    """When, how long, where and with whom: shared by booking and moving."""

    def starts_at(self) -> dt.datetime:
        return local_moment(self.cleaned_data["day"], self.cleaned_data["start"])

    def chosen_staff(self) -> list:
        return [self._object("staff", key) for key in self.cleaned_data["staff"]]

    def chosen_room(self):
        return None if self.cleaned_data.get("telehealth") else self._object("rooms", self.cleaned_data.get("room"))

    def clean_place(self, data) -> None:
        if not data.get("telehealth") and not data.get("room") and "room" not in self.errors:
            self.add_error("room", "Choose a room, or tick telehealth.")
        if data.get("telehealth") and data.get("room"):
            data["room"] = ""  # telehealth sessions have no room


def _place_fields(form, *, rooms, staff) -> None:
    form.fields["room"].choices = _choices(rooms, empty="No room (telehealth)", describe=room_label)
    form.fields["staff"].choices = _choices(staff, describe=staff_label)


class BookSessionForm(PlaceMixin, ScheduleForm):
    program = forms.ChoiceField(label="Program", error_messages={"required": "Choose the program."})
    kind = forms.ChoiceField(label="Kind of session", choices=SessionKind.choices)
    group_type = forms.ChoiceField(label="Group type (for a group)", required=False)
    patients = forms.MultipleChoiceField(
        label="Patient(s)", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="One patient for a one-to-one session; any number for a group.")
    staff = forms.MultipleChoiceField(label="Staff", widget=forms.SelectMultiple(attrs={"size": 6}),
                                      error_messages={"required": "Choose at least one staff member."})
    day = forms.DateField(label="Date", widget=_date_input())
    start = forms.TimeField(label="Start time", widget=_time_input())
    minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=600, initial=60)
    room = forms.ChoiceField(label="Room", required=False)
    telehealth = forms.BooleanField(label="Telehealth (video)", required=False)
    video_link = forms.URLField(label="Video link", required=False, assume_scheme="https")
    patient_agreed = forms.BooleanField(label=AGREED_LABEL, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        c = self.schedule_choices
        self.fields["program"].choices = _choices(c.programs, empty="Choose…", describe=lambda p: p.name)
        self.fields["group_type"].choices = _choices(c.group_types, empty="Not a group")
        self.fields["patients"].choices = _choices(c.patients, describe=patient_label)
        _place_fields(self, rooms=c.rooms, staff=c.staff)

    def clean(self):
        data = super().clean()
        self.clean_place(data)
        kind = data.get("kind")
        chosen = data.get("patients") or []
        if kind == SessionKind.GROUP and not data.get("group_type"):
            self.add_error("group_type", "Choose the group type.")
        if kind and kind != SessionKind.GROUP and len(chosen) != 1:
            self.add_error("patients", "Choose one patient for a one-to-one session.")
        if data.get("day") and data.get("start") and self.starts_at() <= timezone.now():
            self.add_error("start", "This time has passed; choose a later time.")
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "program": self._object("programs", data["program"]), "kind": data["kind"],
            "group_type": self._object("group_types", data.get("group_type")) if data["kind"] == SessionKind.GROUP else None,
            "patients": [self._object("patients", key) for key in data.get("patients") or []],
            "staff": self.chosen_staff(), "starts_at": self.starts_at(), "minutes": data["minutes"],
            "room": self.chosen_room(), "telehealth": data["telehealth"], "video_link": data.get("video_link", ""),
            "patient_agreed": data["patient_agreed"],
        }


class MoveSessionForm(PlaceMixin, ScheduleForm):
    day = forms.DateField(label="Date", widget=_date_input())
    start = forms.TimeField(label="Start time", widget=_time_input())
    minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=600)
    room = forms.ChoiceField(label="Room", required=False)
    telehealth = forms.BooleanField(label="Telehealth (video)", required=False)
    video_link = forms.URLField(label="Video link", required=False, assume_scheme="https")
    staff = forms.MultipleChoiceField(label="Staff", widget=forms.SelectMultiple(attrs={"size": 6}),
                                      error_messages={"required": "Choose at least one staff member."})
    patient_agreed = forms.BooleanField(label=AGREED_LABEL, required=False)

    def __init__(self, *args, session=None, **kwargs):
        if session is not None and not args and "initial" not in kwargs:
            local = timezone.localtime(session.starts_at)
            kwargs["initial"] = {
                "day": local.date(), "start": local.time(), "minutes": session.minutes,
                "room": str(session.room_id or ""), "telehealth": session.telehealth, "video_link": session.video_link,
                "staff": [str(member.pk) for member in session.staff.all()],
            }
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        _place_fields(self, rooms=self.schedule_choices.rooms, staff=self.schedule_choices.staff)

    def clean(self):
        data = super().clean()
        self.clean_place(data)
        if data.get("day") and data.get("start") and self.starts_at() <= timezone.now():
            self.add_error("start", "This time has passed; choose a later time.")
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"starts_at": self.starts_at(), "minutes": data["minutes"], "room": self.chosen_room(),
                "staff": self.chosen_staff(), "telehealth": data["telehealth"], "video_link": data.get("video_link", ""),
                "patient_agreed": data["patient_agreed"]}


class CancelSessionForm(ScheduleForm):
    reason = forms.CharField(label="Why is it cancelled?", max_length=200,
                             help_text="e.g. Facilitator ill; snow closure. Patients' names do not belong here.",
                             error_messages={"required": "Give a reason for cancelling."})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "cancel")
        kwargs.setdefault("choices", ScheduleChoices())
        super().__init__(*args, **kwargs)


class AddAttendeeForm(ScheduleForm):
    patient = forms.ChoiceField(label="Patient", error_messages={"required": "Choose the patient to add."})
    patient_agreed = forms.BooleanField(label=AGREED_LABEL, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = _choices(self.schedule_choices.patients, empty="Choose…", describe=patient_label)

    def chosen_patient(self):
        return self._object("patients", self.cleaned_data["patient"])


class RemoveAttendeeForm(ScheduleForm):
    patient = forms.ChoiceField(label="Patient")
    reason = forms.CharField(label="Why (optional)", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "remove")
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = _choices(self.schedule_choices.patients, describe=patient_label)

    def chosen_patient(self):
        return self._object("patients", self.cleaned_data["patient"])


class JoinSeriesForm(ScheduleForm):
    series = forms.ChoiceField(label="Group series", error_messages={"required": "Choose the group series."})
    on = forms.DateField(label="First day in the group", widget=_date_input(),
                         help_text="Today or later. Sessions already on the calendar from that day are added.")
    patient_agreed = forms.BooleanField(label=AGREED_LABEL, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "join")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = _choices(self.schedule_choices.series, empty="Choose…", describe=series_label)

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return on

    def chosen_series(self):
        return self._object("series", self.cleaned_data["series"])


class AddMemberForm(ScheduleForm):
    """"Add a patient" on the group series page: one per series (prefixed by its id); the POST
    names the series in a plain `series` input."""

    patient = forms.ChoiceField(label="Patient", error_messages={"required": "Choose the patient to add."})
    on = forms.DateField(label="First day in the group", widget=_date_input(), help_text="Today or later.")
    patient_agreed = forms.BooleanField(label=AGREED_LABEL, required=False)

    def __init__(self, *args, series, **kwargs):
        kwargs.setdefault("prefix", f"series-{series.pk}")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = _choices(self.schedule_choices.patients, empty="Choose…", describe=patient_label)

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return on

    def chosen_patient(self):
        return self._object("patients", self.cleaned_data["patient"])


def series_label(series) -> str:
    return f"{series.name}: {series.get_weekday_display()} {series.start:%H:%M}, {series.program.name}"


class LeaveSeriesForm(ScheduleForm):
    """One per membership on the page (prefixed by its id); the POST names the membership in a
    plain `membership` input."""

    on = forms.DateField(label="Last day in the group", widget=_date_input(),
                         help_text="The patient stays on that day's session; later ones are removed.")
    reason = forms.CharField(label="Why is the patient leaving?", max_length=200,
                             error_messages={"required": "Give a reason for leaving the series."})

    def __init__(self, *args, membership=None, **kwargs):
        if membership is not None:
            kwargs.setdefault("prefix", f"leave-{membership.pk}")
            kwargs.setdefault("initial", {"on": timezone.localdate()})
        kwargs.setdefault("choices", ScheduleChoices())
        super().__init__(*args, **kwargs)


class SolveForm(forms.Form):
    week = forms.DateField(label="Week starting", widget=_date_input(),
                           help_text="Any day of the week; the week runs Monday to Sunday.")

    def clean_week(self):
        """The Monday of the week chosen; a week that is over cannot be built."""
        monday = week_of(self.cleaned_data["week"])
        if week_bounds(monday)[1] <= timezone.now():
            raise forms.ValidationError(f"The week of {monday:%d %B %Y} is over; choose this week or a later one.")
        return monday
