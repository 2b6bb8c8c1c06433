"""Marking a worklist task done from the home page; an urgent alert needs a written resolution."""

import pytest

from openiop.intake import services as intake_services
from openiop.worklist import services as worklist
from openiop.worklist.models import Task
from tests.intake import conftest as intake_fixtures

pytestmark = pytest.mark.django_db
referral = intake_fixtures.referral


@pytest.fixture
def alert(referral, clinician, director):
    intake_services.record_screening(
        actor=clinician, referral=referral, presenting_problems="Low mood", suicidal_thoughts="yes",
        suicide_plan_or_intent="no", recent_suicide_attempt="no", violence_risk="no",
    )
    return Task.objects.get(assignee=clinician)


def done_url(task):
    return f"/clinic/tasks/{task.pk}/done/"


def test_each_open_task_has_a_mark_done_form(client, clinician, alert):
    client.force_login(clinician)
    html = client.get("/clinic/").text
    assert f'action="{done_url(alert)}"' in html
    assert "required for an urgent alert" in html
    assert f"/clinic/referrals/{alert.referral_id}/screening/" in html


def test_an_urgent_alert_without_a_resolution_stays_open_with_a_message(client, clinician, alert):
    client.force_login(clinician)
    response = client.post(done_url(alert), {"resolution": "  ", "next": "/clinic/"}, follow=True)
    alert.refresh_from_db()
    assert alert.done_at is None
    assert "Say what was done about this urgent alert." in response.text
    assert alert.title in response.text


def test_an_urgent_alert_with_a_resolution_is_done_and_leaves_the_list(client, clinician, alert):
    client.force_login(clinician)
    response = client.post(done_url(alert), {"resolution": "Called; safety plan made; C-SSRS low", "next": "/clinic/"})
    assert response.status_code == 302
    assert response["Location"] == "/clinic/"
    alert.refresh_from_db()
    assert (alert.done_by, alert.resolution) == (clinician, "Called; safety plan made; C-SSRS low")
    assert f'action="{done_url(alert)}"' not in client.get("/clinic/").text


def test_an_ordinary_task_is_done_without_a_resolution(client, intake):
    task = worklist.create_task(actor=intake, assignee=intake, kind="follow_up", title="Call back Casey")
    client.force_login(intake)
    client.post(done_url(task), {"next": "https://evil.example/"})
    task.refresh_from_db()
    assert task.done_at is not None


def test_an_unsafe_next_goes_home(client, intake):
    task = worklist.create_task(actor=intake, assignee=intake, kind="follow_up", title="Call back Casey")
    client.force_login(intake)
    response = client.post(done_url(task), {"next": "https://evil.example/"})
    assert response["Location"] == "/clinic/"


def test_someone_elses_task_is_not_found(client, director, alert):
    client.force_login(director)
    assert client.post(done_url(alert), {"resolution": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.done_at is None


def test_marking_done_is_post_only(client, clinician, alert):
    client.force_login(clinician)
    assert client.get(done_url(alert)).status_code == 405


def test_a_done_task_cannot_be_done_twice(client, clinician, alert):
    client.force_login(clinician)
    client.post(done_url(alert), {"resolution": "Called"})
    response = client.post(done_url(alert), {"resolution": "Again"}, follow=True)
    assert "already done" in response.text
    alert.refresh_from_db()
    assert alert.resolution == "Called"
