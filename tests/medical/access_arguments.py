"""URL arguments for the access-matrix test (tests/clinic/test_access_matrix.py): records of
`patient` that this part's patient-data URLs name."""

import datetime as dt


def arguments(patient, clinician) -> dict:
    from django.utils import timezone

    from openiop.medical import services

    screen = services.record_drug_screen(
        actor=clinician, patient=patient, specimen="urine", collected_at=timezone.now() - dt.timedelta(hours=1),
        observed=True, panel="cup12", results={code: "negative" for code in services.rules.CUP_12},
    )
    return {"screen_id": screen.pk}
