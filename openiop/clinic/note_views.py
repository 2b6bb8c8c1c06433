"""Clinical notes on the clinic's screens: the group note of a session (shared part once, each
present member's own part), a patient's notes, the note editor, the note page with signing,
co-signing and addenda, the co-signature queue and the unsigned-notes compliance list.

Writes go through `openiop.documentation.services`; reads through its queries (404 for anyone
outside the care team). Every page showing a patient's note is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.clinic.note_forms import (
    AddendumForm,
    AttestForm,
    MemberPartForm,
    NewNoteForm,
    NoteEditForm,
    SharedPartForm,
    VoidForm,
    apply_errors,
)
from openiop.documentation import queries, rules, services
from openiop.documentation.models import GroupNote, NoteKind, NoteStatus, SignatureRole
from openiop.programs.models import CurriculumModule

NOTE_ROLES = services.NOTE_ROLES
NEW_NOTE_SESSION_DAYS = 30


# The group note of a session ----------------------------------------------------------------------


@shows_patient_data(roles=NOTE_ROLES)
def group_note(request, session_id):
    """The session's group note: the shared part on top, one card per present member with their
    own part and their own plan objectives, absent members listed without a part."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    session = queries.group_session_for(request.user, session_id)
    if session.kind != "group":
        return _not_a_group(request, session)
    note = GroupNote.objects.filter(session=session).select_related("module", "signed_by", "author").first()
    cards, hidden, unmarked = queries.member_cards(request.user, session)
    modules = CurriculumModule.objects.filter(organization_id=session.program.organization_id, active=True)
    if request.method == "POST":
        return _post_group_note(request, session, note, cards, hidden, unmarked, modules)
    shared = SharedPartForm(initial=_shared_initial(note, session), modules=modules)
    forms_by_card = [_member_form(card) for card in cards]
    return _render_group(request, session, note, cards, forms_by_card, hidden, unmarked, shared, AttestForm())


def _not_a_group(request, session):
    from openiop.patients.models import Patient

    patients = list(Patient.objects.visible_to(request.user).filter(session_rows__session=session))
    audit.record_many(user=request.user, action=Action.LIST, patients=patients, detail={"page": "group_note"})
    return render(request, "clinic/notes/not_a_group.html", {"session": session, "patients": patients})


SHARED_KEYS = ("topic", "module", "interventions", "summary")
MEMBER_KEYS = ("participation", "mood_affect", "objectives", "progress", "risk_observed", "plan_next")


def fingerprint(values: dict, keys) -> str:
    """A short digest of a part's content as a form shows it (stored or typed, same shape)."""
    data = {}
    for key in keys:
        value = values.get(key)
        if key == "objectives":
            data[key] = sorted(str(item) for item in (value or []))
        elif key == "module":
            data[key] = str(getattr(value, "pk", value) or "")
        else:
            data[key] = str(value or "").strip()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]


def _shared_initial(note, session) -> dict:
    if note is None:
        values = {"topic": session.module.title if session.module_id else (
            session.group_type.name if session.group_type_id else ""), "module": session.module_id}
    else:
        values = {"topic": note.topic, "module": note.module_id, "interventions": note.interventions,
                  "summary": note.summary}
    return {**values, "version": fingerprint(values, SHARED_KEYS)}


def _member_initial(card) -> dict:
    values = {}
    if card.note is not None:
        body = card.note.body or {}
        values = {**body, "objectives": [str(o.pk) for o in card.note.objectives.all()]}
    return {**values, "version": fingerprint(values, MEMBER_KEYS)}


def _member_form(card, data=None):
    if not card.attended:
        return None
    return MemberPartForm(data, prefix=f"m{card.attendance.pk}", initial=_member_initial(card),
                          objectives=card.objectives, patient=card.patient)


def _changed_meanwhile(form, stored: dict, keys, message: str) -> bool | None:
    """Whether to save `form` over what is stored now. None when it must not be saved because
    someone else saved the part after this page was opened: then the typed text is kept with an
    error, and saving again replaces theirs. False when there is nothing of this page's to save."""
    opened = form.cleaned_data.get("version") or ""
    current, typed = stored["version"], fingerprint(form.cleaned_data, keys)
    if not opened or opened == current:
        return True
    if typed in (opened, current):
        # Untouched here (or typed the same): the newer text stays.
        return False
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = current
    form.add_error(None, message)
    return None


def _post_group_note(request, session, note, cards, hidden, unmarked, modules):
    action = request.POST.get("action", "save")
    signed = note is not None and note.is_signed
    shared = SharedPartForm(request.POST if not signed else None, initial=_shared_initial(note, session),
                            modules=modules)
    attest = AttestForm(request.POST)
    member_id = request.POST.get("member", "")
    forms_by_card = []
    for card in cards:
        editable = card.attended and (card.note is None or card.note.is_draft)
        if signed:
            # After the shared part is signed, one member's late part is saved or signed at a time.
            editable = editable and str(card.attendance.pk) == member_id
        forms_by_card.append(_member_form(card, request.POST if editable else None))
    valid = (signed or shared.is_valid()) & attest.is_valid()
    # Every form is validated (not stopping at the first), so each shows its own errors.
    checked = [form.is_valid() for form in forms_by_card if form is not None and form.is_bound]
    valid = all(checked) and valid
    if valid:
        with transaction.atomic():
            ok = _save_group(request, session, note, cards, forms_by_card, shared, attest, action, signed)
            if not ok:
                transaction.set_rollback(True)
        if ok:
            return redirect("clinic:group_note", session_id=session.pk)
    return _render_group(request, session, note, cards, forms_by_card, hidden, unmarked, shared, attest, status=400)


def _save_group(request, session, note, cards, forms_by_card, shared, attest, action, signed) -> bool:
    user = request.user
    try:
        if note is None:
            note = services.start_group_note(actor=user, session=session)
        save_shared = not signed and _changed_meanwhile(
            shared, _shared_initial(note, session), SHARED_KEYS,
            "Someone else saved the shared part after you opened this page: your text is kept here. "
            "Reload to see theirs, or save again to replace it.")
        if save_shared is None:
            return False
        if save_shared:
            data = shared.cleaned_data
            services.save_group_note(actor=user, group_note=note, topic=data["topic"], module=data["module"],
                                     interventions=data["interventions"], summary=data["summary"])
    except ValidationError as error:
        apply_errors(shared, error)
        return False
    ok = True
    saved = []
    for card, form in zip(cards, forms_by_card, strict=True):
        if form is None or not form.is_bound:
            continue
        if card.note is None and not form.has_text():
            continue
        save = _changed_meanwhile(
            form, _member_initial(card), MEMBER_KEYS,
            f"Someone else saved {card.patient.display_name}'s part after you opened this page: your text "
            "is kept here. Reload to see theirs, or save again to replace it.")
        if save is None:
            ok = False
            continue
        if not save:
            continue
        data = form.cleaned_data
        try:
            saved.append(services.save_member_part(
                actor=user, group_note=note, attendance=card.attendance, participation=data["participation"],
                mood_affect=data["mood_affect"], progress=data["progress"], objectives=data["objectives"],
                risk_observed=data["risk_observed"], plan_next=data["plan_next"]))
        except ValidationError as error:
            apply_errors(form, error, fallback=shared)
            ok = False
    if not ok:
        return False
    try:
        if action == "sign" and not signed:
            services.sign_group_note(actor=user, group_note=note, attestation=attest.attestation())
            messages.success(request, "Group note signed: each member's chart now has their own note.")
        elif action == "sign_member" and signed:
            for member_note in saved:
                services.sign_note(actor=user, note=member_note, attestation=attest.attestation())
            messages.success(request, "Member's note signed.")
        else:
            messages.success(request, "Draft saved.")
    except ValidationError as error:
        _sign_errors(error, attest, shared, cards, forms_by_card)
        return False
    return True


def _sign_errors(error, attest, shared, cards, forms_by_card) -> None:
    by_note = {card.note.pk: form for card, form in zip(cards, forms_by_card, strict=True) if card.note and form}
    if not hasattr(error, "error_dict"):
        attest.add_error(None, "; ".join(error.messages))
        return
    for key, messages_ in error.message_dict.items():
        for message in messages_:
            if key == "attestation":
                attest.add_error("attest", message)
            elif key in shared.fields and shared.is_bound:
                shared.add_error(key, message)
            elif "-" in key and key.rsplit("-", 1)[1].isdigit() and by_note.get(int(key.rsplit("-", 1)[1])) \
                    and by_note[int(key.rsplit("-", 1)[1])].is_bound:
                by_note[int(key.rsplit("-", 1)[1])].add_error(key.rsplit("-", 1)[0],
                                                               message.removeprefix("A member's part: "))
            else:
                attest.add_error(None, message)


def _render_group(request, session, note, cards, forms_by_card, hidden, unmarked, shared, attest, status=200):
    audit.record_many(user=request.user, action=Action.VIEW, patients=[card.patient for card in cards],
                      detail={"page": "group_note", "session": session.pk})
    rows = [{"card": card, "form": form, "rows": rules.section_rows(card.note) if card.note else []}
            for card, form in zip(cards, forms_by_card, strict=True)]
    all_forms = [shared, attest] + [form for form in forms_by_card if form is not None]
    errors = [item for form in all_forms if form.is_bound for item in form.error_summary]
    return render(request, "clinic/notes/group_note.html", {
        "session": session, "note": note, "rows": rows, "hidden": hidden, "unmarked": unmarked,
        "shared": shared, "attest": attest, "errors": errors,
        "started": session.starts_at <= timezone.now(),
        "present": [row for row in rows if row["card"].attended],
        "absent": [row for row in rows if not row["card"].attended],
    }, status=status)


# A patient's notes --------------------------------------------------------------------------------


@shows_patient_data(roles=NOTE_ROLES)
def patient_notes(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="notes")
    notes = queries.chart_notes(request.user, patient)
    audit.record(user=request.user, action=Action.LIST, patient=patient, detail={"page": "notes", "count": len(notes)})
    return render(request, "clinic/notes/patient_notes.html", {"patient": patient, "notes": notes})


def _recent_sessions(patient):
    from openiop.scheduling.models import ONE_TO_ONE, Session

    since = timezone.now() - dt.timedelta(days=NEW_NOTE_SESSION_DAYS)
    return list(Session.objects.filter(attendees__patient=patient, kind__in=ONE_TO_ONE, status="scheduled",
                                       starts_at__gte=since, starts_at__lte=timezone.now())
                .order_by("-starts_at"))


@shows_patient_data(roles=NOTE_ROLES)
def note_new(request, mrn):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    patient = visible_patient_or_404(request, mrn, page="note_new")
    sessions = _recent_sessions(patient)
    status = 200
    if request.method == "POST":
        form = NewNoteForm(request.POST, sessions=sessions)
        if form.is_valid():
            data = form.cleaned_data
            try:
                note = services.start_note(actor=request.user, patient=patient, kind=data["kind"],
                                           template=data["template"], session=data["session"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("clinic:note_edit", note_id=note.pk)
        status = 400
    else:
        chosen = {str(s.pk): s for s in sessions}.get(request.GET.get("session", ""))
        initial = {"template": "dap"}
        if chosen is not None:
            initial.update(session=str(chosen.pk), kind=chosen.kind)
        form = NewNoteForm(initial=initial, sessions=sessions)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "note_new"})
    return render(request, "clinic/notes/new.html", {"patient": patient, "form": form}, status=status)


@shows_patient_data(roles=NOTE_ROLES)
def note_edit(request, note_id):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    note = queries.note_for(request.user, note_id)
    if note.kind == NoteKind.GROUP and note.session_id:
        return redirect("clinic:group_note", session_id=note.session_id)
    if not note.is_draft or note.author_id != request.user.pk:
        return redirect("clinic:note_detail", note_id=note.pk)
    objectives = list(services.plan_objectives(note.episode))
    status = 200
    attest = AttestForm(request.POST or None)
    if request.method == "POST":
        form = NoteEditForm(request.POST, note=note, objectives=objectives)
        if form.is_valid() and attest.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                try:
                    services.save_note(actor=request.user, note=note, body=form.body(), time_in=data["time_in"],
                                       time_out=data["time_out"], objectives=data["objectives"],
                                       service_code=form.chosen_code(), code_reason=data["code_reason"],
                                       patient_present=data.get("patient_present") if "patient_present" in form.fields
                                       else None)
                    if request.POST.get("action") == "sign":
                        services.sign_note(actor=request.user, note=note, attestation=attest.attestation())
                except ValidationError as error:
                    apply_errors(form, error, fallback=attest)
                    if hasattr(error, "error_dict") and "attestation" in error.error_dict:
                        attest.add_error("attest", error.message_dict["attestation"][0])
                    transaction.set_rollback(True)
                else:
                    messages.success(request, "Note signed." if request.POST.get("action") == "sign" else "Draft saved.")
                    if request.POST.get("action") == "sign":
                        return redirect("clinic:note_detail", note_id=note.pk)
                    return redirect("clinic:note_edit", note_id=note.pk)
        status = 400
    else:
        form = NoteEditForm(initial=NoteEditForm.initial_for(note), note=note, objectives=objectives)
    audit.record(user=request.user, action=Action.VIEW, patient=note.patient, obj=note, detail={"page": "note_edit"})
    suggestion = rules.CodeSuggestion(note.suggested_code, note.suggestion_reason)
    return render(request, "clinic/notes/edit.html", {
        "note": note, "patient": note.patient, "form": form, "attest": attest, "suggestion": suggestion,
        "errors": [item for f in (form, attest) if f.is_bound for item in f.error_summary],
    }, status=status)


# The note page and its actions --------------------------------------------------------------------


def _detail(request, note, *, addendum=None, cosign=None, void=None, sign=None, status=200):
    user = request.user
    audit.record(user=user, action=Action.VIEW, patient=note.patient, obj=note, detail={"page": "note"})
    signatures = list(note.signatures.all())
    supervisor = next((s for s in signatures if s.role == SignatureRole.SUPERVISOR), None)
    waiting = note.is_signed and note.cosign_required and supervisor is None
    forms = [f for f in (addendum, cosign, void, sign) if f is not None and f.is_bound]
    return render(request, "clinic/notes/detail.html", {
        "note": note, "patient": note.patient, "group_note": note.group_note if note.group_note_id else None,
        "shared_rows": rules.shared_rows(note.group_note) if note.group_note_id else [],
        "rows": rules.section_rows(note), "signatures": signatures, "addenda": list(note.addenda.all()),
        "awaiting_cosign": waiting, "may_cosign": waiting and services.may_cosign(user, note),
        "may_sign": note.is_draft and note.author_id == user.pk,
        "may_void": note.is_draft and (note.author_id == user.pk or user.role == "director"),
        "addendum_form": addendum or AddendumForm(), "cosign_form": cosign or AttestForm(
            attestation=rules.COSIGN_ATTESTATION, prefix="cosign"),
        "void_form": void or VoidForm(), "sign_form": sign or AttestForm(prefix="sign"),
        "errors": [item for form in forms for item in form.error_summary],
        "code_label": rules.SERVICE_CODES.get(note.service_code, ""),
    }, status=status)


@shows_patient_data(roles=NOTE_ROLES)
def note_detail(request, note_id):
    note = queries.note_for(request.user, note_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _detail(request, note)


def _post_action(request, note_id, form, act):
    """Run `act(note, form)` for a POST from the note page: 400 with the form's errors kept."""
    note = queries.note_for(request.user, note_id)
    if request.method != "POST":
        return note, HttpResponseNotAllowed(["POST"])
    if form.is_valid():
        try:
            act(note, form)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return note, redirect("clinic:note_detail", note_id=note.pk)
    return note, None


@shows_patient_data(roles=NOTE_ROLES)
def note_sign(request, note_id):
    form = AttestForm(request.POST or None, prefix="sign")

    def act(note, form):
        services.sign_note(actor=request.user, note=note, attestation=form.attestation())
        messages.success(request, "Note signed.")

    note, response = _post_action(request, note_id, form, act)
    return response or _detail(request, note, sign=form, status=400)


@shows_patient_data(roles=NOTE_ROLES)
def note_cosign(request, note_id):
    form = AttestForm(request.POST or None, attestation=rules.COSIGN_ATTESTATION, prefix="cosign")

    def act(note, form):
        services.cosign_note(actor=request.user, note=note, attestation=form.attestation())
        messages.success(request, "Co-signed.")

    note, response = _post_action(request, note_id, form, act)
    return response or _detail(request, note, cosign=form, status=400)


@shows_patient_data(roles=NOTE_ROLES)
def note_addendum(request, note_id):
    form = AddendumForm(request.POST or None)

    def act(note, form):
        services.add_addendum(actor=request.user, note=note, text=form.cleaned_data["text"],
                              attestation=form.attestation())
        messages.success(request, "Addendum added below the note.")

    note, response = _post_action(request, note_id, form, act)
    return response or _detail(request, note, addendum=form, status=400)


@shows_patient_data(roles=NOTE_ROLES)
def note_void(request, note_id):
    form = VoidForm(request.POST or None)

    def act(note, form):
        services.void_draft(actor=request.user, note=note, reason=form.cleaned_data["reason"])
        messages.success(request, "Draft voided (kept, marked voided).")

    note, response = _post_action(request, note_id, form, act)
    return response or _detail(request, note, void=form, status=400)


# Lists ------------------------------------------------------------------------------------------


@shows_patient_data(roles=NOTE_ROLES, needs_visibility=False)
def cosign_queue(request):
    """Signed notes waiting for the user's co-signature."""
    notes = queries.cosigns_waiting(request.user)
    audit.record_many_records(user=request.user, action=Action.LIST, records=notes, detail={"page": "cosign_queue"})
    return render(request, "clinic/notes/cosign_queue.html", {"notes": notes})


@shows_patient_data(roles=NOTE_ROLES, needs_visibility=False)
def unsigned_notes(request):
    """Drafts past the limit: the organization's for the clinical director, one's own otherwise."""
    rows = queries.unsigned_overdue(request.user)
    records = [row.note for row in rows if row.note is not None]
    audit.record_many_records(user=request.user, action=Action.LIST, records=records, detail={"page": "unsigned_notes"})
    from django.conf import settings

    return render(request, "clinic/notes/unsigned.html", {
        "rows": rows, "hours": getattr(settings, "OPENIOP_UNSIGNED_NOTE_HOURS", 24),
        "whole_organization": request.user.role == "director", "draft": NoteStatus.DRAFT,
    })
