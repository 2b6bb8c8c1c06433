from django import forms

from openiop.privacy.models import BreakGlassReason, ReviewOutcome


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients", required=False, max_length=100,
        help_text="Name, MRN, or date of birth (YYYY-MM-DD or MM/DD/YYYY)",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class BreakGlassForm(forms.Form):
    reason_code = forms.ChoiceField(label="Kind of emergency", choices=BreakGlassReason.choices)
    reason = forms.CharField(
        label="What is happening, and why do you need this chart now?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The privacy officer reviews every emergency access. At least 15 characters.",
    )


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(label="Was this access appropriate?", choices=ReviewOutcome.choices,
                                widget=forms.RadioSelect)
    note = forms.CharField(label="Review note", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Required when the access was inappropriate.")


class AccessReportForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=20)
    since = forms.DateField(label="Since (optional)", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
