"""Forms of the public pages: the self-check and the intake request.

Bot protection without a third-party service lives here too: a honeypot field that people
never see, and a signed timestamp that says when the form was shown.
"""

import re
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone

from openiop.intake.enums import ForWhom
from openiop.patients.enums import ContactMethod, CoverageKind
from openiop.public import selfcheck


class ErrorSummaryMixin:
    def error_summary(self):
        """[(anchor id, message)] for the summary at the top, each linking to its field (a
        group of radio buttons links to its first button)."""
        items = [("", message) for message in self.non_field_errors()]
        for name in self.fields:
            if name in self.errors:
                bound = self[name]
                anchor = f"{bound.auto_id}_0" if bound.field.widget.use_fieldset else bound.auto_id
                items.extend((anchor, message) for message in self.errors[name])
        return items


# --- self-check ------------------------------------------------------------------------------


def _answer_field(question, *, required=False):
    return forms.ChoiceField(
        label=question.text, help_text=question.help, choices=selfcheck.ANSWER_CHOICES,
        widget=forms.RadioSelect, required=required,
        error_messages={"required": "Choose Yes, No or Not sure."},
    )


class SelfCheckForm(ErrorSummaryMixin, forms.Form):
    """Not a diagnosis: the answers only pick which kind of care to explain first."""

    for_whom = forms.ChoiceField(
        label="Who are you asking for?", choices=selfcheck.FOR_WHOM_CHOICES,
        widget=forms.RadioSelect, error_messages={"required": "Choose who you are asking for."},
        help_text="If you are asking for someone else, answer the questions about them.",
    )
    # Set by the "continue" button on the crisis page, so the person is not sent back to it.
    seen_crisis_help = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[selfcheck.SAFETY.key] = _answer_field(selfcheck.SAFETY, required=True)
        for question in selfcheck.QUESTIONS:
            self.fields[question.key] = _answer_field(question)

    def groups(self):
        """[(legend, [bound fields])] in page order, one fieldset each."""
        return [(legend, [self[q.key] for q in questions]) for legend, questions in selfcheck.GROUPS]

    def answers_as_hidden(self):
        """[(name, value)] of the cleaned answers, for the crisis page's "continue" form."""
        names = ["for_whom", selfcheck.SAFETY.key, *(q.key for q in selfcheck.QUESTIONS)]
        return [(name, self.cleaned_data.get(name) or "") for name in names]


# --- bot protection --------------------------------------------------------------------------

HONEYPOT_FIELD = "website"
STARTED_FIELD = "started"
STARTED_SALT = "openiop.public.request-intake"
BOT_OK, BOT_SUSPECTED, TOKEN_EXPIRED = "ok", "bot", "expired"


def min_seconds() -> float:
    # A person cannot read and fill this form in under a few seconds; a script can.
    return getattr(settings, "OPENIOP_INTAKE_MIN_SECONDS", 3)


def max_seconds() -> float:
    return getattr(settings, "OPENIOP_INTAKE_MAX_SECONDS", 4 * 60 * 60)


def issue_form_token(issued_at: float | None = None) -> str:
    """Return a signed "this form was shown at <time>" value for the hidden field."""
    return signing.dumps(issued_at if issued_at is not None else time.time(), salt=STARTED_SALT)


def check_bot_signals(data) -> str:
    """Return BOT_OK, BOT_SUSPECTED (honeypot filled, token missing, forged or too fresh) or
    TOKEN_EXPIRED (the form was open for hours: more likely a person who left a tab open, so
    they get the form back instead of a silent drop)."""
    if data.get(HONEYPOT_FIELD, ""):
        return BOT_SUSPECTED
    try:
        issued_at = signing.loads(data.get(STARTED_FIELD, ""), salt=STARTED_SALT)
    except signing.BadSignature:
        return BOT_SUSPECTED
    if not isinstance(issued_at, (int, float)):
        return BOT_SUSPECTED
    age = time.time() - issued_at
    if age < min_seconds():
        return BOT_SUSPECTED
    if age > max_seconds():
        return TOKEN_EXPIRED
    return BOT_OK


def token_is_usable(value: str) -> bool:
    """True when `value` is our signature and not expired, so a re-rendered form can keep it
    (a person fixing one field should not have to wait out the minimum time again)."""
    try:
        issued_at = signing.loads(value or "", salt=STARTED_SALT)
    except signing.BadSignature:
        return False
    return isinstance(issued_at, (int, float)) and time.time() - issued_at <= max_seconds()


# --- intake request --------------------------------------------------------------------------

NOT_SURE = "not_sure"
PHONE_CHARACTERS = re.compile(r"^[0-9+().\-\s]*$")
CONTACT_CHOICES = [(c.value, c.label) for c in (ContactMethod.PHONE, ContactMethod.TEXT, ContactMethod.EMAIL)]
INSURANCE_CHOICES = [*CoverageKind.choices, (NOT_SURE, "Not sure")]
YES_NO = [("yes", "Yes"), ("no", "No")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IntakeRequestForm(ErrorSummaryMixin, forms.Form):
    """What the intake team needs to call back. Field names are the referral's, so errors from
    `create_referral` land on the field they are about."""

    for_whom = forms.ChoiceField(
        label="Who needs help?", choices=ForWhom.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose who needs help."},
    )
    requester_name = forms.CharField(
        label="Your name", max_length=200, required=False,
        help_text="Only when you are asking for someone else.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_relationship = forms.CharField(
        label="Your relationship to them", max_length=100, required=False,
        help_text="For example: parent, partner, adult child, friend.",
    )
    first_name = forms.CharField(
        label="First name", max_length=100,
        error_messages={"required": "Enter the first name of the person who needs help."},
    )
    last_name = forms.CharField(
        label="Last name", max_length=100,
        error_messages={"required": "Enter the last name of the person who needs help."},
    )
    preferred_name = forms.CharField(
        label="Name they like to be called", max_length=100, required=False,
    )
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=DateInput,
        help_text="Some programs are for adults and some for teenagers.",
        error_messages={"invalid": "Enter the date of birth as a date, for example 1990-05-17."},
    )
    phone = forms.CharField(
        label="Phone number", max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Email address", required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter an email address like name@example.com."},
    )
    preferred_contact = forms.ChoiceField(
        label="How should we contact you?", choices=CONTACT_CHOICES, widget=forms.RadioSelect,
        initial=ContactMethod.PHONE, error_messages={"required": "Choose how we should contact you."},
    )
    best_time_to_contact = forms.CharField(
        label="Best time to contact you", max_length=200, required=False,
        help_text="For example: weekdays after 5 pm.",
    )
    ok_to_leave_message = forms.ChoiceField(
        label="May we leave a message that mentions our program?", choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="If someone else may hear or read your messages, choose No: we will then only "
                  "leave a first name and a number to call back.",
        error_messages={"required": "Tell us whether we may leave a message that mentions the program."},
    )
    program = forms.ChoiceField(
        label="Which program are you interested in?", widget=forms.RadioSelect, required=False,
        initial=NOT_SURE,
    )
    insurance_kind = forms.ChoiceField(
        label="Insurance", choices=INSURANCE_CHOICES, widget=forms.RadioSelect, required=False,
        initial=NOT_SURE,
    )
    payer_name = forms.CharField(
        label="Insurance company or plan name", max_length=200, required=False,
    )
    member_id = forms.CharField(
        label="Member ID", max_length=40, required=False,
        help_text="It is on the insurance card. Optional: the intake team can ask later.",
    )
    work_school_hours = forms.CharField(
        label="Work or school hours", max_length=1000, required=False,
        help_text="So the team can suggest a program time that fits. For example: "
                  "Mon–Fri 9 am–3 pm school.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(
        label="What is going on?", max_length=4000, required=False,
        help_text="A few words are enough. This is not for emergencies: "
                  "in a crisis call or text 988, or call 911.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.programs = {
            str(p.pk): p for p in organization.programs.filter(active=True).order_by("name")
        }
        self.fields["program"].choices = [
            *((pk, f"{p.name} ({p.track})" if p.track else p.name) for pk, p in self.programs.items()),
            (NOT_SURE, "Not sure"),
        ]

    def clean_date_of_birth(self):
        # create_referral checks this too (and more); checking here as well shows it together
        # with the form's other messages instead of only after they are fixed.
        born = self.cleaned_data["date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future. Check the year.")
        return born

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and (not PHONE_CHARACTERS.match(phone) or len(re.sub(r"\D", "", phone)) < 7):
            raise forms.ValidationError("Enter a phone number with at least 7 digits, for example 555-123-4567.")
        return phone

    def clean(self):
        data = super().clean()
        phone, email = data.get("phone"), data.get("email")
        if "phone" not in self.errors and "email" not in self.errors:
            if not phone and not email:
                self.add_error("phone", "Give a phone number or an email address so the intake team can reach out.")
            elif data.get("preferred_contact") == ContactMethod.EMAIL and not email:
                self.add_error("email", "You chose email: give an email address, or choose phone or text.")
            elif data.get("preferred_contact") in (ContactMethod.PHONE, ContactMethod.TEXT) and not phone:
                self.add_error("phone", "You chose a call or text: give a phone number, or choose email.")
        if data.get("for_whom") == ForWhom.FAMILY_MEMBER:
            if not data.get("requester_name", "").strip():
                self.add_error("requester_name", "Enter your name, so we know who asked for them.")
            if not data.get("requester_relationship", "").strip():
                self.add_error("requester_relationship", "Say how you are related to them.")
        return data

    def referral_fields(self) -> dict:
        """The keyword arguments for `create_referral` (source included)."""
        data = self.cleaned_data
        family = data["for_whom"] == ForWhom.FAMILY_MEMBER
        return {
            "source": "family" if family else "self",
            "for_whom": data["for_whom"],
            "requester_name": data["requester_name"].strip() if family else "",
            "requester_relationship": data["requester_relationship"].strip() if family else "",
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "preferred_name": data["preferred_name"].strip(),
            "date_of_birth": data["date_of_birth"],
            "phone": data["phone"],
            "email": data["email"],
            "preferred_contact": data["preferred_contact"],
            "best_time_to_contact": data["best_time_to_contact"].strip(),
            "ok_to_leave_message": data["ok_to_leave_message"] == "yes",
            "program": self.programs.get(data.get("program") or ""),
            "insurance_kind": "" if data.get("insurance_kind") in ("", NOT_SURE) else data["insurance_kind"],
            "payer_name": data["payer_name"].strip(),
            "member_id": data["member_id"].strip(),
            "work_school_hours": data["work_school_hours"].strip(),
            "reason": data["reason"].strip(),
        }

    def add_service_errors(self, error) -> None:
        """Put a ValidationError from the intake service on the fields it names."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, messages in error.message_dict.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
