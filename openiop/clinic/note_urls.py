"""Clinical notes (issue 7): group notes written once, individual notes, signing, addenda, co-signs."""

from django.urls import path

from openiop.clinic import note_views

urlpatterns = [
    path("schedule/sessions/<int:session_id>/note/", note_views.group_note, name="group_note"),
    path("notes/cosign/", note_views.cosign_queue, name="cosign_queue"),
    path("notes/unsigned/", note_views.unsigned_notes, name="unsigned_notes"),
    path("notes/<int:note_id>/", note_views.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", note_views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/sign/", note_views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/cosign/", note_views.note_cosign, name="note_cosign"),
    path("notes/<int:note_id>/addendum/", note_views.note_addendum, name="note_addendum"),
    path("notes/<int:note_id>/void/", note_views.note_void, name="note_void"),
    path("patients/<str:mrn>/notes/", note_views.patient_notes, name="patient_notes"),
    path("patients/<str:mrn>/notes/new/", note_views.note_new, name="note_new"),
]
