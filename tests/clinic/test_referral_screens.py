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
