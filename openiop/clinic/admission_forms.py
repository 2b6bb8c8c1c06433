"""Forms for admission, level-of-care changes: they collect and shape what was typed; the
rules (hours band, required consents, Medicare certification, one current episode per program)
are the services' (`intake.services.admit_referral`, `care.services`)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.accounts.models import User
from openiop.care.models import (
    REQUIRED_ADMISSION_CONSENTS,
    REQUIRED_PART2_CONSENTS,
    CareTeamRole,
    ConsentKind,
)
from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.intake.levels import CARE_LEVEL_CHOICES
from openiop.intake.services import validate_planned_hours
from openiop.programs.models import Program

DIAGNOSIS_ROWS = 3
CARE_TEAM_ROWS = 2
# ICD-10-CM: a letter, two characters, then optionally a dot and up to four more.
ICD10_PATTERN = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
NPI_PATTERN = re.compile(r"^\d{10}$")
# Staff who can be on a care team besides the primary clinician.
CARE_TEAM_STAFF_ROLES = (Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR)
CARE_TEAM_EXTRA_ROLES = [("", "Choose a role…")] + [
    (value, label) for value, label in CareTeamRole.choices if value != CareTeamRole.PRIMARY_CLINICIAN
]
DATE_INPUT = {"type": "date"}

# Where the service's error keys belong on this form: a field, or a group of inputs.
SERVICE_ERROR_TARGETS = {
    "physician_name": "medicare_physician_name",
    "physician_npi": "medicare_physician_npi",
    "certified_on": "medicare_certified_on",
    "needs_at_least_nine_hours": "medicare_nine_hours",
}
SERVICE_ERROR_GROUPS = {
    "diagnoses": "diagnoses", "icd10_code": "diagnoses", "description": "diagnoses",
    "is_primary": "diagnoses", "recorded_on": "diagnoses",
    "consents": "consents", "kind": "consents", "signed_on": "consents",
    "medicare_certification": "medicare",
    "user": "care_team", "role": "care_team",
}
GROUP_ANCHORS = {
    "referral": "referral-group", "person": "person-group", "diagnoses": "diagnoses-group",
    "consents": "consents-group", "medicare": "medicare-group", "care_team": "care-team-group",
}


def _date(label, *, required=True, initial=None, help_text=""):
    return forms.DateField(label=label, required=required, initial=initial, help_text=help_text,
                           widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))


class GroupErrorsMixin(ErrorSummaryMixin):
    """Errors about a group of inputs (the diagnoses, the consents, ...) shown at the group."""

    def group_errors(self) -> dict:
        if not hasattr(self, "_group_errors"):
            self._group_errors = {}
        return self._group_errors

    def add_group_error(self, group: str, message) -> None:
        messages = message if isinstance(message, list) else [message]
        self.group_errors().setdefault(group, []).extend(messages)
        self.add_error(None, messages)

    def group_anchor_for(self, message) -> str:
        for group, messages in self.group_errors().items():
            if message in messages:
                return GROUP_ANCHORS.get(group, "")
        return ""

    def add_service_errors(self, error) -> None:
        """Put a service's ValidationError next to what it names; keep everything typed."""
        if not hasattr(error, "error_dict"):
            self.add_group_error("referral", error.messages)
            return
        for key, messages in error.message_dict.items():
            field = SERVICE_ERROR_TARGETS.get(key, key)
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
            elif key in SERVICE_ERROR_GROUPS:
                self.add_group_error(SERVICE_ERROR_GROUPS[key], messages)
            elif key in ("referral", "__all__"):
                self.add_group_error("referral", messages)
            else:
                # The person's own details (from the referral): say which one.
                label = key.replace("_", " ").capitalize()
                self.add_group_error("person", [f"{label}: {m}" for m in messages])


class AdmissionForm(GroupErrorsMixin, forms.Form):
    admitted_on = _date("Admission date")
    level_of_care = forms.ChoiceField(label="Level of care", choices=CARE_LEVEL_CHOICES, initial="iop")
    planned_weekly_hours = forms.DecimalField(
        label="Planned hours per week", max_digits=4, decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "40", "inputmode": "decimal"}),
    )
    hours_override_reason = forms.CharField(
        label="Reason for hours outside the program's band", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the planned hours are outside the program's band: the clinical reason.",
    )
    expected_length_of_stay_days = forms.IntegerField(
        label="Expected length of stay (days)", required=False, min_value=1, max_value=730,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, referral, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.is_medicare = referral.insurance_kind == "medicare"
        today = timezone.localdate()
        self.fields["admitted_on"].initial = referral.expected_start_on or today
        programs = Program.objects.filter(organization_id=referral.organization_id, active=True)
        self.fields["program"] = forms.ModelChoiceField(
            label="Program and track", queryset=programs, initial=referral.program_id, empty_label="Choose a program…",
        )
        self.fields["program"].label_from_instance = lambda p: f"{p.name} · {p.track}" if p.track else p.name
        self.program = self._chosen_program(programs)
        self.duplicates = {}
        band = "Adult IOP is 9–19 hours a week; Medicare requires at least 9."
        if self.program is not None:
            band = (f"{self.program.name} plans {self.program.min_weekly_hours}–"
                    f"{self.program.max_weekly_hours} hours a week. {band}")
        self.fields["planned_weekly_hours"].help_text = band
        if duplicates:
            self.duplicates = {str(p.pk): p for p in duplicates}
            self.fields["same_person"] = forms.ChoiceField(
                label="Is this the same person as an existing patient?", required=False,
                widget=forms.RadioSelect,
                choices=[("", "No: a new person, register them")] + [
                    (str(p.pk), f"Yes: {p.legal_name}, born {p.date_of_birth:%Y-%m-%d}, MRN {p.mrn}")
                    for p in duplicates
                ],
                initial=str(referral.patient_id) if referral.patient_id else "",
                help_text="Intake found these records that may be the same person. Choosing one "
                          "admits that patient instead of registering a new record.",
            )
        # Primary clinician: the clinicians and prescribers of the chosen program.
        self.fields["primary_clinician"] = forms.ModelChoiceField(
            label="Primary clinician", empty_label="Choose a clinician…",
            queryset=self._treating_staff(self.program),
            error_messages={"invalid_choice": "Choose one of the program's clinicians.",
                            "required": "Choose the primary clinician."},
        )
        self.fields["primary_clinician"].label_from_instance = lambda u: u.display_name
        staff = User.objects.filter(
            organization_id=referral.organization_id, is_active=True, role__in=CARE_TEAM_STAFF_ROLES,
        ).order_by("last_name", "first_name", "id")
        for row in range(CARE_TEAM_ROWS):
            self.fields[f"team_user_{row}"] = forms.ModelChoiceField(
                label="Staff member", queryset=staff, required=False, empty_label="Choose…",
            )
            self.fields[f"team_user_{row}"].label_from_instance = (
                lambda u: f"{u.display_name} ({u.get_role_display()})"
            )
            self.fields[f"team_role_{row}"] = forms.ChoiceField(
                label="Role", choices=CARE_TEAM_EXTRA_ROLES, required=False,
            )
        for row in range(DIAGNOSIS_ROWS):
            self.fields[f"dx_code_{row}"] = forms.CharField(
                label="ICD-10-CM code", required=False, max_length=10,
                widget=forms.TextInput(attrs={"autocapitalize": "characters", "placeholder": "e.g. F10.20"}),
            )
            self.fields[f"dx_description_{row}"] = forms.CharField(
                label="Description", required=False, max_length=255,
            )
        self.fields["dx_primary"] = forms.ChoiceField(
            label="Primary diagnosis", widget=forms.RadioSelect, initial="0",
            choices=[(str(row), f"Diagnosis {row + 1} is the primary diagnosis") for row in range(DIAGNOSIS_ROWS)],
            error_messages={"required": "Mark the primary diagnosis."},
        )
        self.required_consents = set(REQUIRED_ADMISSION_CONSENTS)
        if self.program is not None and self.program.is_part2:
            self.required_consents |= set(REQUIRED_PART2_CONSENTS)
        for kind, label in ConsentKind.choices:
            self.fields[f"consent_{kind}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"consent_{kind}_on"] = _date("Date signed", required=False, initial=today)
        if self.is_medicare:
            self.fields["medicare_physician_name"] = forms.CharField(
                label="Certifying physician", max_length=200,
                error_messages={"required": "Name the certifying physician."},
            )
            self.fields["medicare_physician_npi"] = forms.CharField(
                label="Physician NPI", max_length=10, required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                help_text="10 digits.",
            )
            self.fields["medicare_certified_on"] = _date("Date certified", initial=today)
            self.fields["medicare_nine_hours"] = forms.BooleanField(
                label="The physician certifies that the person needs at least 9 hours of services a week",
                error_messages={"required": "Medicare covers IOP only when a physician certifies that at "
                                            "least 9 hours a week are needed."},
            )

    def _chosen_program(self, programs):
        raw = self.data.get("program") if self.is_bound else self.initial.get("program")
        if raw:
            try:
                return programs.filter(pk=int(raw)).first()
            except (TypeError, ValueError):
                return None
        return self.referral.program if self.referral.program and self.referral.program.active else None

    @staticmethod
    def _treating_staff(program):
        if program is None:
            return User.objects.none()
        return User.objects.filter(
            programs=program, is_active=True, role__in=TREATING_ROLES
        ).order_by("last_name", "first_name", "id")

    # Rows for the template.
    def diagnosis_rows(self):
        radios = list(self["dx_primary"])
        return [
            {"number": row + 1, "code": self[f"dx_code_{row}"], "description": self[f"dx_description_{row}"],
             "primary": radios[row]}
            for row in range(DIAGNOSIS_ROWS)
        ]

    def care_team_rows(self):
        return [
            {"number": row + 1, "user": self[f"team_user_{row}"], "role": self[f"team_role_{row}"]}
            for row in range(CARE_TEAM_ROWS)
        ]

    def consent_rows(self):
        return [
            {"kind": kind, "signed": self[f"consent_{kind}"], "signed_on": self[f"consent_{kind}_on"],
             "required": kind in self.required_consents}
            for kind in ConsentKind.values
        ]

    def field_context(self, name) -> str:
        if match := re.match(r"dx_(code|description)_(\d+)$", name):
            return f"Diagnosis {int(match[2]) + 1}, "
        if match := re.match(r"team_(user|role)_(\d+)$", name):
            return f"Care team member {int(match[2]) + 1}, "
        if match := re.match(r"consent_(\w+?)_on$", name):
            return f"{ConsentKind(match[1]).label}, "
        if name.startswith("medicare_"):
            return "Medicare certification, "
        return ""

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        diagnoses = []
        primary = data.get("dx_primary")
        for row in range(DIAGNOSIS_ROWS):
            code = (data.get(f"dx_code_{row}") or "").strip().upper()
            description = (data.get(f"dx_description_{row}") or "").strip()
            if not code and not description:
                if primary == str(row):
                    self.add_error("dx_primary", f"Diagnosis {row + 1} is empty: mark a diagnosis you entered as primary.")
                continue
            if not code:
                self.add_error(f"dx_code_{row}", "Enter the ICD-10-CM code, or clear the description.")
                continue
            if not ICD10_PATTERN.match(code):
                self.add_error(f"dx_code_{row}", f"“{code}” is not an ICD-10-CM code (for example F10.20).")
                continue
            if not description:
                self.add_error(f"dx_description_{row}", "Describe the diagnosis.")
                continue
            diagnoses.append({"icd10_code": code, "description": description, "is_primary": primary == str(row)})
        if not diagnoses and not any(f"dx_{part}_{row}" in self.errors for part in ("code", "description")
                                     for row in range(DIAGNOSIS_ROWS)):
            self.errors.pop("dx_primary", None)
            self.add_group_error("diagnoses", "Record at least one diagnosis (ICD-10-CM).")
        data["diagnoses"] = diagnoses
        team, seen = [], set()
        for row in range(CARE_TEAM_ROWS):
            user, role = data.get(f"team_user_{row}"), data.get(f"team_role_{row}")
            if user is None and not role:
                continue
            if user is None:
                self.add_error(f"team_user_{row}", "Choose the staff member, or clear the role.")
            elif not role:
                self.add_error(f"team_role_{row}", "Choose the role, or clear the staff member.")
            elif (user.pk, role) in seen:
                self.add_error(f"team_user_{row}", "This person already has this role on the team.")
            else:
                seen.add((user.pk, role))
                team.append({"user": user, "role": role})
        data["care_team"] = team
        consents = []
        for kind in ConsentKind.values:
            if not data.get(f"consent_{kind}"):
                continue
            signed_on = data.get(f"consent_{kind}_on")
            if f"consent_{kind}_on" in self.errors:
                continue
            if signed_on is None:
                self.add_error(f"consent_{kind}_on", "Give the date it was signed.")
            elif signed_on > today:
                self.add_error(f"consent_{kind}_on", "The date signed is in the future.")
            else:
                consents.append({"kind": kind, "signed_on": signed_on})
        data["consents"] = consents
        missing = [kind for kind in ConsentKind.values
                   if kind in self.required_consents and not data.get(f"consent_{kind}")]
        if missing:
            self.add_group_error(
                "consents", "Missing: " + "; ".join(ConsentKind(kind).label for kind in missing) + ".",
            )
        program, hours = data.get("program"), data.get("planned_weekly_hours")
        if program is not None and hours is not None:
            # The service's own check, so every problem shows in one round.
            try:
                validate_planned_hours(program=program, planned_weekly_hours=hours,
                                       override_reason=data.get("hours_override_reason", ""))
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    self.add_error(key if key in self.fields else None, messages)
        npi = (data.get("medicare_physician_npi") or "").strip()
        if npi and not NPI_PATTERN.match(npi):
            self.add_error("medicare_physician_npi", "An NPI is 10 digits.")
        certified_on = data.get("medicare_certified_on")
        if certified_on and certified_on > today:
            self.add_error("medicare_certified_on", "The certification date is in the future.")
        return data

    def admission_arguments(self) -> dict:
        """The keyword arguments of intake.services.admit_referral (besides actor and referral)."""
        data = self.cleaned_data
        same = data.get("same_person") or ""
        arguments = {
            "program": data["program"],
            "admitted_on": data["admitted_on"],
            "level_of_care": data["level_of_care"],
            "planned_weekly_hours": data["planned_weekly_hours"],
            "hours_override_reason": data.get("hours_override_reason", ""),
            "expected_length_of_stay_days": data.get("expected_length_of_stay_days"),
            "primary_clinician": data["primary_clinician"],
            "diagnoses": data["diagnoses"],
            "consents": data["consents"],
            "care_team": data["care_team"],
            "patient": self.duplicates[same] if same else None,
        }
        if self.is_medicare:
            arguments["medicare_certification"] = {
                "certified_on": data["medicare_certified_on"],
                "physician_name": data["medicare_physician_name"],
                "physician_npi": data.get("medicare_physician_npi", ""),
                "needs_at_least_nine_hours": data["medicare_nine_hours"],
            }
        return arguments


class LevelOfCareChangeForm(GroupErrorsMixin, forms.Form):
    to_level = forms.ChoiceField(
        label="New level of care", choices=[("", "Choose a level…"), *CARE_LEVEL_CHOICES],
        error_messages={"required": "Choose the new level of care."},
    )
    changed_on = _date("Date of the change")
    reason = forms.CharField(
        label="Clinical reason", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the person steps up or down (for example reliable improvement, or new risk).",
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["changed_on"].initial = timezone.localdate()
        levels = dict(CARE_LEVEL_CHOICES)
        self.fields["episode"] = forms.ModelChoiceField(
            label="Program (current episode)", queryset=episodes,
            empty_label=None if episodes.count() == 1 else "Choose the program…",
        )
        self.fields["episode"].label_from_instance = lambda e: (
            f"{e.program.name}, since {e.admitted_on:%Y-%m-%d}: now {levels.get(e.level_of_care, e.level_of_care)}"
        )
        self.order_fields(["episode", "to_level", "changed_on", "reason"])
