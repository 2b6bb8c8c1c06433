from django import forms

from openiop.intake.enums import CloseReason
from openiop.intake.models import Referral
from openiop.patients.enums import CoverageKind

REFERRAL_FORM_FIELDS = [
    "first_name", "last_name", "preferred_name", "date_of_birth", "phone", "email",
    "preferred_contact", "best_time_to_contact", "ok_to_leave_message", "program", "source",
    "referrer_name", "referrer_organization", "referrer_phone", "insurance_kind", "payer_name",
    "member_id", "group_number", "work_school_hours", "reason", "next_follow_up_on",
]


class ReferralForm(forms.ModelForm):
    save_anyway = forms.BooleanField(
        label="I checked the possible duplicates: this is a different person", required=False
    )

    class Meta:
        model = Referral
        fields = REFERRAL_FORM_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "next_follow_up_on": forms.DateInput(attrs={"type": "date"}),
            "reason": forms.Textarea(attrs={"rows": 3}),
            "work_school_hours": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = organization.programs.filter(active=True)
        self.fields["program"].empty_label = "Not decided yet"


class MoveForm(forms.Form):
    to_stage = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label="Why is the referral closed?", choices=CloseReason.choices)
    note = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="Required when referred to another level of care: say where.")


class NoteForm(forms.Form):
    note = forms.CharField(label="What happened?", widget=forms.Textarea(attrs={"rows": 3}))
    reached = forms.BooleanField(label="We spoke with the person", required=False)
    next_follow_up_on = forms.DateField(label="Next follow-up", required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))


class InsuranceForm(forms.Form):
    insurance_kind = forms.ChoiceField(label="Coverage", choices=[("", "Choose...")] + list(CoverageKind.choices))
    payer_name = forms.CharField(label="Payer", required=False)
    member_id = forms.CharField(label="Member ID", required=False)
    group_number = forms.CharField(label="Group number", required=False)


class WaitlistForm(forms.Form):
    program = forms.ModelChoiceField(label="Program", queryset=None)
    expected_start_on = forms.DateField(label="Expected start", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = organization.programs.filter(active=True)
