"""URL arguments for the access-matrix test (tests/clinic/test_access_matrix.py): records of
`patient` that this part's patient-data URLs name (e.g. {"note_id": note.pk})."""

import datetime as dt


def arguments(patient, clinician) -> dict:
    """An outreach call about `patient`: a group three days ago that they missed without notice."""
    from django.utils import timezone

    from openiop.attendance import services
    from openiop.scheduling.models import Attendee, Session
    from openiop.worklist.models import Task

    starts_at = timezone.now() - dt.timedelta(days=3)
    episode = patient.episodes.get(status="active")
    session = Session.objects.create(program=episode.program, kind="group", starts_at=starts_at,
                                     ends_at=starts_at + dt.timedelta(hours=3))
    session.staff.add(clinician)
    row = Attendee(session=session, patient=patient, episode=episode)
    row.label_for_program(episode.program)
    row.save()
    attendance = services.record_attendance(actor=clinician, attendee=row, status="absent_unexcused")
    task = Task.objects.get(topic=services.outreach_topic(attendance))
    return {"task_id": task.pk}
