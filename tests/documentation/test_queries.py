"""The reads behind the clinician's day and the director's dashboard: what they list, and that
each costs the same number of queries for one row and for many."""


import pytest

from openiop.documentation import queries, services
from tests.documentation.helpers import (
    ATTEST,
    individual_note,
    one_to_one_session,
    write_group_note,
)
from tests.factories.clinic import UserFactory, admit, make_patient

pytestmark = pytest.mark.django_db




def test_notes_to_write_lists_the_group_and_attended_one_to_one_sessions_without_notes(group, clinician,
                                                                                       patient_record):
    session, _ = one_to_one_session(group, patient_record)
    missed, _ = one_to_one_session(group, group["second"], hour=16, status="absent_unexcused")
    rows = queries.notes_to_write(clinician)
    assert [(row.session, row.is_group) for row in rows] == [(group["session"], True), (session, False)]
    assert {p.pk for p in rows[0].patients} == {patient_record.pk, group["second"].pk}
    assert rows[1].url == f"/clinic/patients/{patient_record.mrn}/notes/new/?session={session.pk}"
    write_group_note(clinician, group, sign=False)
    individual_note(clinician, patient_record, session=session)
    assert queries.notes_to_write(clinician) == []
    assert missed not in [row.session for row in rows]


def test_notes_to_write_is_only_about_the_users_own_sessions(group, director, outsider):
    assert queries.notes_to_write(director) == []
    assert queries.notes_to_write(outsider) == []


def test_notes_to_write_costs_the_same_for_one_and_many_sessions(group, clinician, patient_record,
                                                                 django_assert_num_queries):
    with django_assert_num_queries(5):
        assert len(queries.notes_to_write(clinician)) == 1
    for hour in (10, 12, 14, 16):
        one_to_one_session(group, patient_record, hour=hour)
    with django_assert_num_queries(5):
        assert len(queries.notes_to_write(clinician)) == 5


def test_drafts_and_the_cosign_queue(group, clinician, director, patient_record, clinic):
    associate = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                            requires_cosignature=True, supervisor=director)
    associate.programs.set([clinic["sud"]])
    draft = individual_note(clinician, patient_record)
    group_note, _, _ = write_group_note(clinician, group, sign=False)
    assert [row.note or row.group_note for row in queries.drafts_of(clinician)] == [group_note, draft]
    mine = individual_note(associate, patient_record, sign=True)
    assert queries.cosigns_waiting(director) == [mine]
    assert queries.cosigns_waiting(clinician) == []
    services.cosign_note(actor=director, note=mine, attestation=ATTEST)
    assert queries.cosigns_waiting(director) == []


def test_lists_cost_the_same_for_one_and_many_notes(group, clinician, director, patient_record, clinic,
                                                    django_assert_num_queries):
    associate = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                            requires_cosignature=True, supervisor=director)
    associate.programs.set([clinic["sud"]])
    individual_note(associate, patient_record, sign=True)
    individual_note(clinician, patient_record)

    def counts():
        counted = {}
        for name, call in (("drafts", lambda: queries.drafts_of(clinician)),
                           ("cosign", lambda: queries.cosigns_waiting(director)),
                           ("overdue", lambda: queries.unsigned_overdue(director)),
                           ("chart", lambda: queries.chart_notes(director, patient_record))):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                call()
            counted[name] = len(captured)
        return counted

    one = counts()
    for _ in range(3):
        individual_note(associate, patient_record, sign=True)
        individual_note(clinician, patient_record)
    other = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Kim",
                         legal_last_name="Reyes")
    admit(patient=other, program=clinic["sud"], clinician=clinician)
    individual_note(clinician, other)
    assert counts() == one
