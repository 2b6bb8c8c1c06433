"""Odd input on the note screens: never a 500, the field named, the typed text kept."""

import pytest

from tests.documentation.helpers import individual_note

pytestmark = pytest.mark.django_db




@pytest.mark.parametrize("time_in,time_out", [
    ("0001-01-01T00:00", "0001-01-01T01:00"),
    ("2026-11-30T15:00", "2026-11-30T14:00"),
    ("garbage", "2026-11-30T14:00"),
    ("2026-11-30T14:00", "9999-12-31T23:59"),
])
def test_odd_times_on_the_editor_are_a_400_naming_the_field(group, clinician, patient_record, login,
                                                            time_in, time_out):
    note = individual_note(clinician, patient_record)
    data = {"data": "Typed data " * 2000, "assessment": "A", "plan": "P", "time_in": time_in, "time_out": time_out,
            "service_code": "suggested", "action": "save"}
    response = login(clinician).post(f"/clinic/notes/{note.pk}/edit/", data)
    assert response.status_code == 400
    assert "Typed data Typed data" in response.text


def test_odd_ids_on_the_group_page_are_not_a_500(group, clinician, login):
    client = login(clinician)
    url = f"/clinic/schedule/sessions/{group['session'].pk}/note/"
    prefix = f"m{group['avery'].pk}"
    response = client.post(url, {"topic": "T" * 500, "module": "abc", "member": "x", "action": "sign",
                                 f"{prefix}-objectives": ["999999", "abc"], f"{prefix}-participation": "Kept text"})
    assert response.status_code == 400
    assert "Kept text" in response.text
    assert client.get("/clinic/schedule/sessions/99999999/note/").status_code == 404
    assert client.get("/clinic/notes/99999999/").status_code == 404
