"""/request-intake/: a visitor asks the intake team to call; it becomes a referral at inquiry."""

import datetime as dt
import time

import pytest
from django.contrib.sessions.models import Session

from openiop.audit.models import AuditEvent
from openiop.intake import services
from openiop.intake.models import Referral
from openiop.public.forms import issue_form_token

pytestmark = pytest.mark.django_db


def request_data(**overrides):
    data = {
        "started": issue_form_token(time.time() - 30),
        "website": "",
        "for_whom": "self",
        "first_name": "Jordan",
        "last_name": "Reyes",
        "preferred_name": "Jo",
        "date_of_birth": "1992-04-08",
        "phone": "555-201-7788",
        "email": "",
        "preferred_contact": "text",
        "best_time_to_contact": "Weekdays after 5 pm",
        "ok_to_leave_message": "no",
        "program": "not_sure",
        "insurance_kind": "medicaid",
        "payer_name": "State Medicaid",
        "member_id": "MCD-778",
        "work_school_hours": "Mon-Fri 8-4 at the warehouse",
        "reason": "Drinking more since the layoff, feeling low.",
    }
    data.update(overrides)
    return data


def test_it_shows_the_form_with_the_programs_and_bot_traps(client, clinic):
    response = client.get("/request-intake/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Adult substance-use IOP" in page and "Adult mental-health IOP" in page
    assert 'name="started"' in page
    assert 'class="hp-field" aria-hidden="true"' in page
    assert 'tabindex="-1" autocomplete="off"' in page
    assert "no-store" in response["Cache-Control"]


def test_a_request_creates_a_part2_labelled_referral_at_inquiry_with_an_audit_create_event(client, clinic):
    response = client.post("/request-intake/", request_data())

    assert response.status_code == 302
    assert response["Location"] == "/request-intake/sent/"
    referral = Referral.objects.get()
    assert referral.stage == "inquiry"
    assert referral.from_public_request is True
    assert referral.is_part2
    assert referral.organization == clinic["organization"]
    assert referral.source == "self"
    assert (referral.first_name, referral.last_name, referral.preferred_name) == ("Jordan", "Reyes", "Jo")
    assert referral.date_of_birth == dt.date(1992, 4, 8)
    assert referral.preferred_contact == "text"
    assert referral.ok_to_leave_message is False
    assert referral.insurance_kind == "medicaid"
    assert referral.member_id == "MCD-778"
    assert referral.program is None
    assert referral.created_by is None
    event = AuditEvent.objects.get(object_type="intake.referral", object_id=str(referral.pk))
    assert event.action == "create"
    assert event.username == "anonymous"


def test_a_family_members_request_records_who_asked_and_the_program(client, clinic):
    client.post("/request-intake/", request_data(
        for_whom="family", requester_name="Marta Reyes", requester_relationship="Mother",
        program=str(clinic["mh"].pk), insurance_kind="not_sure", ok_to_leave_message="yes",
    ))

    referral = Referral.objects.get()
    assert referral.source == "family"
    assert referral.for_whom == "family"
    assert (referral.requester_name, referral.requester_relationship) == ("Marta Reyes", "Mother")
    assert referral.program == clinic["mh"]
    assert referral.insurance_kind == ""
    assert referral.ok_to_leave_message is True


def test_a_family_request_needs_the_requesters_name_and_relationship(client, clinic):
    response = client.post("/request-intake/", request_data(for_whom="family"))

    form = response.context["form"]
    assert "requester_name" in form.errors and "requester_relationship" in form.errors
    assert Referral.objects.count() == 0


def test_a_future_date_of_birth_is_refused_on_the_field_and_the_other_values_are_kept(client, clinic):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    started = issue_form_token(time.time() - 30)

    response = client.post("/request-intake/", request_data(date_of_birth=future, started=started))

    page = response.content.decode()
    assert response.status_code == 200
    assert Referral.objects.count() == 0
    assert response.context["form"].errors["date_of_birth"] == ["The date of birth is in the future. Check the year."]
    # The message sits with the field, is linked from the summary, and the field points to it.
    assert 'id="id_date_of_birth_error"' in page
    assert 'aria-describedby="id_date_of_birth_helptext id_date_of_birth_error"' in page
    assert 'aria-invalid="true"' in page
    assert 'href="#id_date_of_birth"' in page
    # Nothing else typed is lost.
    assert f'value="{future}"' in page
    assert 'value="Jordan"' in page
    assert 'value="555-201-7788"' in page
    assert "Drinking more since the layoff, feeling low." in page
    assert 'value="text" required id="id_preferred_contact_1" checked' in page
    assert 'value="medicaid" id="id_insurance_kind_0" checked' in page
    # The signed timestamp is kept, so fixing the date does not count as a too-fast resend.
    assert f'name="started" value="{started}"' in page


def test_a_service_refusal_lands_on_the_field_it_names(client, clinic):
    # Only create_referral knows this rule, so the message comes from the service.
    response = client.post("/request-intake/", request_data(date_of_birth="1890-01-01"))

    assert Referral.objects.count() == 0
    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth is more than 120 years ago. Check the year."
    ]
    assert 'value="Jordan"' in response.content.decode()


def test_a_future_date_of_birth_is_flagged_together_with_the_other_mistakes(client, clinic):
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()

    response = client.post("/request-intake/", request_data(date_of_birth=future, first_name=""))

    assert set(response.context["form"].errors) == {"date_of_birth", "first_name"}


def test_missing_phone_and_email_gets_a_message_on_the_phone_field(client, clinic):
    response = client.post("/request-intake/", request_data(phone="", email=""))

    assert Referral.objects.count() == 0
    assert response.context["form"].errors["phone"] == [
        "Give a phone number or an email address so the intake team can reach out."
    ]
    assert 'href="#id_phone"' in response.content.decode()


def test_an_email_only_request_works_when_email_is_the_chosen_way(client, clinic):
    client.post("/request-intake/", request_data(phone="", email="jo@example.org", preferred_contact="email"))

    assert Referral.objects.get().email == "jo@example.org"


def test_missing_required_answers_are_listed_at_the_top_with_links(client, clinic):
    response = client.post("/request-intake/", request_data(first_name="", ok_to_leave_message=""))

    page = response.content.decode()
    assert 'class="error-summary" role="alert"' in page
    assert 'href="#id_first_name"' in page
    assert 'href="#id_ok_to_leave_message_0"' in page


def test_a_filled_honeypot_shows_the_confirmation_but_creates_nothing(client, clinic):
    response = client.post("/request-intake/", request_data(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == "/request-intake/sent/"
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_too_fast_submit_shows_the_confirmation_but_creates_nothing(client, clinic):
    response = client.post("/request-intake/", request_data(started=issue_form_token()))

    assert response.status_code == 302
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("started", ["", "1700000000", "MTc5NTM0MDEyMi44:forged:signature"])
def test_a_missing_or_forged_timestamp_creates_nothing(client, clinic, started):
    response = client.post("/request-intake/", request_data(started=started))

    assert response.status_code == 302
    assert Referral.objects.count() == 0


def test_a_form_left_open_for_hours_comes_back_with_a_message_and_the_answers_kept(client, clinic):
    response = client.post("/request-intake/", request_data(started=issue_form_token(time.time() - 24 * 3600)))

    page = response.content.decode()
    assert response.status_code == 200
    assert Referral.objects.count() == 0
    assert "This page was open for a long time" in page
    assert 'value="Jordan"' in page


def test_the_minimum_time_can_be_set_to_zero(client, clinic, settings):
    settings.OPENIOP_INTAKE_MIN_SECONDS = 0

    client.post("/request-intake/", request_data(started=issue_form_token()))

    assert Referral.objects.count() == 1


def test_requests_are_limited_per_address_and_hour_with_a_friendly_429(client, clinic, settings):
    settings.OPENIOP_INTAKE_REQUESTS_PER_HOUR = 3
    for n in range(3):
        assert client.post("/request-intake/", request_data(first_name=f"Person{n}")).status_code == 302

    response = client.post("/request-intake/", request_data(first_name="Person4"))

    assert response.status_code == 429
    assert "We could not take another request just now" in response.content.decode()
    assert 'href="tel:988"' in response.content.decode()
    assert Referral.objects.count() == 3
    # Another address is not affected.
    other = client.post("/request-intake/", request_data(first_name="Else"), REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


def test_the_rate_limit_counts_the_default_five_and_silently_dropped_bots(client, clinic):
    for _ in range(4):
        client.post("/request-intake/", request_data(website="spam"))
    assert client.post("/request-intake/", request_data()).status_code == 302

    assert client.post("/request-intake/", request_data()).status_code == 429
    assert Referral.objects.count() == 1


def test_a_form_with_errors_does_not_count_against_the_limit(client, clinic, settings):
    settings.OPENIOP_INTAKE_REQUESTS_PER_HOUR = 1
    for _ in range(3):
        client.post("/request-intake/", request_data(phone="", email=""))

    assert client.post("/request-intake/", request_data()).status_code == 302


def test_the_confirmation_reveals_nothing_about_anyone(client, clinic, intake):
    services.create_referral(
        actor=intake, organization=clinic["organization"], first_name="Casey", last_name="Morrow",
        phone="555-0142",
    )

    response = client.post("/request-intake/", request_data(), follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [("/request-intake/sent/", 302)]
    assert "Thank you" in page
    for private in ("Casey", "Morrow", "555-0142", "Jordan", "Reyes", "555-201-7788", "MCD-778"):
        assert private not in page
    for referral in Referral.objects.all():
        assert f"/{referral.pk}/" not in page
    assert 'href="tel:988"' in page
    assert Session.objects.count() == 0


def test_a_link_from_the_self_check_prefills_who_it_is_for(client, clinic):
    response = client.get("/request-intake/?for=family")

    assert 'value="family" required id="id_for_whom_1" checked' in response.content.decode()


def test_without_an_organization_it_says_requests_are_not_taken_online(client):
    get = client.get("/request-intake/")
    post = client.post("/request-intake/", request_data())

    assert get.status_code == 200 and post.status_code == 200
    assert "not accepting requests online yet" in get.content.decode()
    assert "1-800-662-4357" in get.content.decode()
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("path", ["/", "/self-check/", "/request-intake/", "/request-intake/sent/"])
def test_every_public_page_carries_the_crisis_banner(client, clinic, path):
    page = client.get(path).content.decode()

    assert 'class="crisis-banner"' in page
    assert 'href="tel:988"' in page
