import datetime as dt

import pytest
from django.utils import timezone

from openiop.intake import services
from openiop.intake.models import Referral
from tests.intake import conftest as intake_fixtures

referral = intake_fixtures.referral
pytestmark = pytest.mark.django_db


def test_the_board_groups_referrals_by_stage_and_flags_overdue_follow_ups(client, intake, referral):
    Referral.objects.filter(pk=referral.pk).update(next_follow_up_on=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(intake)
    html = client.get("/clinic/referrals/").text
    assert 'id="stage-inquiry"' in html
    assert "Casey Morrow" in html
    assert "Overdue" in html


def test_the_board_flags_referrals_waiting_for_a_call_back(client, intake, referral):
    Referral.objects.filter(pk=referral.pk).update(last_action_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(intake)
    assert "Waiting" in client.get("/clinic/referrals/").text


@pytest.mark.parametrize("count", [1, 30])
def test_the_board_uses_the_same_queries_for_1_and_30_referrals(client, clinic, intake, count, django_assert_num_queries):
    for number in range(count):
        services.create_referral(actor=intake, organization=clinic["organization"], program=clinic["sud"],
                                 first_name=f"P{number}", last_name="Boardtest", phone=f"555-01{number:02d}")
    client.force_login(intake)
    client.get("/clinic/referrals/")
    with django_assert_num_queries(7):
        response = client.get("/clinic/referrals/")
    assert response.text.count("Boardtest") == count


def test_it_warns_of_a_possible_duplicate_and_saves_only_when_told_to(client, intake, referral):
    client.force_login(intake)
    form = {"first_name": "Casey", "last_name": "Morrow", "date_of_birth": "1985-02-03", "phone": "555-0177",
            "preferred_contact": "phone", "source": "self"}
    response = client.post("/clinic/referrals/new/", form)
    assert response.status_code == 200
    assert "This may be someone already known" in response.text
    assert 'value="555-0177"' in response.text
    assert Referral.objects.count() == 1
    response = client.post("/clinic/referrals/new/", {**form, "save_anyway": "on"})
    assert response.status_code == 302
    assert Referral.objects.count() == 2


def test_it_refuses_a_future_date_of_birth_on_the_field_and_keeps_the_rest(client, intake, clinic):
    client.force_login(intake)
    future = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post("/clinic/referrals/new/", {
        "first_name": "Rae", "last_name": "Doyle", "date_of_birth": future, "phone": "555-0123",
        "preferred_contact": "phone", "source": "self"})
    assert "The date of birth is in the future" in response.text
    assert 'value="Doyle"' in response.text
    assert not Referral.objects.exists()


def test_intake_moves_a_referral_to_the_next_stage(client, intake, referral):
    client.force_login(intake)
    response = client.post(f"/clinic/referrals/{referral.pk}/move/", {"to_stage": "contacted", "note": "Spoke today"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.stage == "contacted"


def test_closing_to_another_level_of_care_asks_where_and_keeps_the_choice(client, intake, referral):
    client.force_login(intake)
    response = client.post(f"/clinic/referrals/{referral.pk}/close/", {"reason": "other_level", "note": ""})
    assert response.status_code == 400
    assert "Say which level of care" in response.text
    referral.refresh_from_db()
    assert referral.stage == "inquiry"


def test_a_note_marked_reached_starts_the_first_contact_clock(client, intake, referral):
    client.force_login(intake)
    client.post(f"/clinic/referrals/{referral.pk}/note/", {"note": "Spoke with Casey", "reached": "on"})
    referral.refresh_from_db()
    assert referral.first_contact_at is not None


def test_billing_verifies_insurance_but_cannot_move_the_referral(client, biller, referral):
    client.force_login(biller)
    response = client.post(f"/clinic/referrals/{referral.pk}/insurance/", {"insurance_kind": "commercial", "payer_name": "Acme Health"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.insurance_verified_on == timezone.localdate()
    assert client.post(f"/clinic/referrals/{referral.pk}/move/", {"to_stage": "contacted"}).status_code == 404


def test_a_clinician_of_another_program_gets_not_found(client, outsider, referral):
    client.force_login(outsider)
    assert client.get(f"/clinic/referrals/{referral.pk}/").status_code == 404
    assert "Casey" not in client.get("/clinic/referrals/").text


def test_the_referral_page_links_to_the_clinical_steps_and_records_the_view(client, clinician, referral):
    from openiop.audit.models import AuditEvent

    client.force_login(clinician)
    html = client.get(f"/clinic/referrals/{referral.pk}/").text
    assert f"/clinic/referrals/{referral.pk}/screening/" in html
    assert AuditEvent.objects.filter(action="view", object_type="intake.referral", object_id=str(referral.pk)).exists()


def test_the_waitlist_shows_who_waits_for_which_program(client, intake, clinician, clinic):
    from tests.intake.conftest import ASAM_RATINGS

    waiting = services.create_referral(actor=intake, organization=clinic["organization"], program=clinic["sud"],
                                       first_name="Wren", last_name="Waits", phone="555-0155")
    services.move_referral(actor=intake, referral=waiting, to_stage="contacted")
    services.sign_assessment(actor=clinician, referral=waiting, framework="asam3", ratings=ASAM_RATINGS,
                             recommended_level="2.1", actual_level="2.1")
    waiting.refresh_from_db()
    start = timezone.localdate() + dt.timedelta(days=7)
    services.waitlist_referral(actor=intake, referral=waiting, program=clinic["sud"], expected_start_on=start)
    client.force_login(intake)
    html = client.get("/clinic/referrals/waitlist/").text
    assert "Wren Waits" in html
    assert start.isoformat() in html


def test_metrics_give_median_days_and_conversion_by_source(client, intake, clinic, director):
    now = timezone.now()
    for number, days_to_contact in enumerate([1, 3, 5]):
        r = services.create_referral(actor=intake, organization=clinic["organization"], program=clinic["sud"],
                                     source="ed", first_name=f"M{number}", last_name="Metric", phone=f"555-016{number}")
        Referral.objects.filter(pk=r.pk).update(
            created_at=now - dt.timedelta(days=10), first_contact_at=now - dt.timedelta(days=10 - days_to_contact))
    services.close_referral(actor=intake, referral=Referral.objects.get(first_name="M0"), reason="declined")
    client.force_login(director)
    response = client.get("/clinic/referrals/metrics/")
    metrics = response.context["metrics"]
    assert metrics["to_first_contact"] == {"count": 3, "median": 3.0}
    ed = metrics["by_source"][0]
    assert (ed["source"], ed["referrals"], ed["admitted"], ed["closed"]["Declined"]) == (
        "Hospital emergency department", 3, 0, 1)


def test_metrics_are_for_the_director_and_intake_only(client, front_desk):
    client.force_login(front_desk)
    assert client.get("/clinic/referrals/metrics/").status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_the_waitlist_uses_the_same_queries_for_1_and_20_people(client, intake, clinic, count, django_assert_num_queries):
    start = timezone.localdate() + dt.timedelta(days=7)
    for number in range(count):
        r = services.create_referral(actor=intake, organization=clinic["organization"], program=clinic["sud"],
                                     first_name=f"W{number}", last_name="Waitcount", phone=f"555-02{number:02d}")
        Referral.objects.filter(pk=r.pk).update(stage="assessed", waitlisted_on=timezone.localdate(),
                                                expected_start_on=start)
    client.force_login(intake)
    client.get("/clinic/referrals/waitlist/")
    with django_assert_num_queries(4):
        response = client.get("/clinic/referrals/waitlist/")
    assert response.text.count("Waitcount") == count


def test_the_referral_page_shows_a_clinician_only_duplicates_they_may_see(client, clinic, intake, outsider, patient_record):
    mh_referral = services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["mh"],
        first_name="Q", last_name="R", phone=patient_record.phone,
    )
    client.force_login(outsider)
    html = client.get(f"/clinic/referrals/{mh_referral.pk}/").text
    assert "Possibly the same person" not in html
    assert patient_record.mrn not in html


def test_possible_duplicates_shown_to_intake_are_recorded_in_the_patients_access_report(client, clinic, intake, patient_record):
    from openiop.audit.models import AuditEvent

    referral_record = services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["sud"],
        first_name="Q", last_name="R", phone=patient_record.phone,
    )
    client.force_login(intake)
    html = client.get(f"/clinic/referrals/{referral_record.pk}/").text
    assert patient_record.mrn in html
    event = AuditEvent.objects.get(action="list", patient=patient_record)
    assert event.detail == {"list": "possible duplicates"}


@pytest.mark.parametrize("count", [1, 5])
def test_the_board_does_not_grow_queries_with_admitted_referrals(client, clinic, intake, count, django_assert_num_queries):
    from tests.factories.clinic import make_patient

    for number in range(count):
        r = services.create_referral(actor=intake, organization=clinic["organization"], program=clinic["sud"],
                                     first_name=f"A{number}", last_name="Admittedtest", phone=f"555-03{number:02d}")
        patient = make_patient(organization=clinic["organization"], program=clinic["sud"],
                               legal_first_name=f"A{number}", legal_last_name="Admittedtest")
        Referral.objects.filter(pk=r.pk).update(stage="admitted", patient=patient)
    client.force_login(intake)
    client.get("/clinic/referrals/")
    with django_assert_num_queries(7):
        client.get("/clinic/referrals/")
