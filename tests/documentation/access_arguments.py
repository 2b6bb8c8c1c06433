"""URL arguments for the access-matrix test (tests/clinic/test_access_matrix.py): records of
`patient` that this part's patient-data URLs name (e.g. {"note_id": note.pk})."""


def arguments(patient, clinician) -> dict:
    """A draft individual note of `patient` by `clinician` (the note pages' `note_id`). The
    group-note page reuses the matrix's `session_id` (a coming one-to-one session of the
    patient), which it answers with a page pointing to the patient's notes."""
    from openiop.documentation import services

    note = services.start_note(actor=clinician, patient=patient, kind="individual", template="dap")
    return {"note_id": note.pk}
