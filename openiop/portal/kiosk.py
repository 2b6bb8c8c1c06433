"""The clinic tablet ("kiosk") check-in: a staff member hands a tablet to one patient, who
answers their due check-ins there and can do nothing else.

How it is kept narrow:
- Starting it (clinic/measure_entry_views.py) signs the staff member out of this browser, so
  the patient never holds a signed-in staff session. The new, anonymous session holds only the
  kiosk session's id.
- `KioskMiddleware` sends every request outside /kiosk/ and /static/ back to /kiosk/ while that
  id is in the session.
- Access is decided by the KioskSession itself (its patient, its expiry), not by a login:
  the pages show that patient's due administrations (`queries.due_for_patient`) and nothing
  else, no MRN and no date of birth. It ends when nothing is left, when the patient presses
  "I'm finished", or after services.KIOSK_MINUTES; then the session is flushed.
- The audit trail names the staff member who started it (`session.started_by`) as the actor.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.measures import queries, services
from openiop.measures.forms import AnswersForm, plain_name
from openiop.measures.models import KioskSession, Mode
from openiop.measures.scoring import AnswerError

SESSION_KEY = "openiop_kiosk_session"
ALLOWED_PREFIXES = ("/kiosk/", "/static/")
SEND, FINISH = "send", "finish"
KIOSK_BUTTONS = [(SEND, "Send my answers", ""), (FINISH, "I'm finished", "button-secondary")]


class KioskMiddleware:
    """While this browser holds a kiosk session, only the kiosk pages can be reached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(SESSION_KEY) is not None and not request.path.startswith(ALLOWED_PREFIXES):
            return redirect("kiosk:home")
        return self.get_response(request)


def begin(request, session: KioskSession) -> None:
    """Put the kiosk session in this browser's (new, signed-out) session."""
    request.session[SESSION_KEY] = session.pk


def _live_session(request) -> KioskSession | None:
    """The kiosk session of this browser while it is live; an expired one is ended here."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    session = KioskSession.objects.select_related("patient", "started_by").filter(pk=pk).first()
    if session is not None and services.kiosk_is_live(session):
        return session
    if session is not None:
        services.end_kiosk(session, reason="expired")
    request.session.flush()
    return None


def _close(request, session: KioskSession, *, reason: str) -> None:
    services.end_kiosk(session, reason=reason)
    audit.record(user=session.started_by, action=Action.CHANGE, patient=session.patient, obj=session,
                 detail={"kiosk": True, "ended": reason})
    request.session.flush()


def _end(request, session: KioskSession, *, reason: str, finished: bool):
    _close(request, session, reason=reason)
    return render(request, "kiosk/ended.html", {"finished": finished})


def _ended(request):
    return render(request, "kiosk/ended.html", {"finished": False})


def _first_name(patient) -> str:
    return patient.preferred_name or patient.legal_first_name


def _due(session):
    return list(queries.due_for_patient(session.patient))


@require_http_methods(["GET"])
def home(request):
    session = _live_session(request)
    if session is None:
        return _ended(request)
    due = _due(session)
    if not due:
        return _end(request, session, reason="completed", finished=True)
    library = queries.available_instruments(session.patient.organization_id)
    names = [plain_name(library[a.instrument_code]) if a.instrument_code in library else a.instrument_code
             for a in due]
    audit.record(user=session.started_by, action=Action.VIEW, patient=session.patient, obj=session,
                 detail={"page": "kiosk", "due": len(due)})
    return render(request, "kiosk/home.html", {"first_name": _first_name(session.patient), "names": names})


@require_http_methods(["GET", "POST"])
def answer(request):
    """The next due check-in, one at a time."""
    session = _live_session(request)
    if session is None:
        return _ended(request)
    due = _due(session)
    if request.method == "POST":
        # The check-in being answered, only if it is still one of this patient's due ones.
        posted = request.POST.get("administration", "")
        administration = next((a for a in due if str(a.pk) == posted), None)
        if administration is None:
            return redirect("kiosk:answer")
        return _answer_posted(request, session, administration, position=due.index(administration) + 1,
                              count=len(due))
    if not due:
        return _end(request, session, reason="completed", finished=True)
    administration = due[0]
    instrument = services.instrument_of(administration)
    audit.record(user=session.started_by, action=Action.VIEW, patient=session.patient, obj=administration,
                 detail={"page": "kiosk check-in", "kiosk_session": session.pk})
    # Answers saved earlier are never shown on the tablet: whoever holds it (or handed it over)
    # must not read them. They still count when the check-in is sent.
    return _render_answer(request, session, administration, AnswersForm(instrument=instrument),
                          position=1, count=len(due))


def _answer_posted(request, session, administration, *, position, count):
    actor = session.started_by
    instrument = services.instrument_of(administration)
    form = AnswersForm(request.POST, instrument=instrument)
    if not form.is_valid():
        return _render_answer(request, session, administration, form, position=position, count=count)
    if request.POST.get("action") == FINISH:
        if form.answers():
            # Keep what was answered so far, so staff can see it and the patient can go on later.
            saved = services.save_answers(actor=actor, administration=administration, answers=form.answers(),
                                          mode=Mode.KIOSK)
            if saved.has_safety_flag:
                # A safety answer among the partial ones: crisis help first, staff alerted.
                _close(request, session, reason="finished")
                return render(request, "kiosk/safety.html", {"more": False})
        return _end(request, session, reason="finished", finished=True)
    try:
        completed = services.complete_administration(actor=actor, administration=administration,
                                                     answers=form.answers(), mode=Mode.KIOSK)
    except AnswerError as error:
        form.add_answer_errors(error.errors)
        administration.refresh_from_db()
        if administration.has_safety_flag:
            # The safety answer was kept and the care team alerted; show help before anything else.
            return render(request, "kiosk/safety.html", {"more": True})
        return _render_answer(request, session, administration, form, position=position, count=count)
    except ValidationError:
        return redirect("kiosk:answer")
    if completed.has_safety_flag:
        # Shown straight away, in this response: the patient must see it before anything else.
        more = queries.due_for_patient(session.patient).exists()
        if not more:
            _close(request, session, reason="completed")
        return render(request, "kiosk/safety.html", {"more": more})
    return redirect("kiosk:answer")


def _render_answer(request, session, administration, form, *, position, count):
    return render(request, "kiosk/answer.html", {
        "first_name": _first_name(session.patient), "form": form, "name": plain_name(form.instrument),
        "position": position, "count": count, "buttons": KIOSK_BUTTONS,
        "hidden": [("administration", administration.pk)],
    })


@require_POST
def finish(request):
    """"I'm finished": end the check-in now; answers already sent are kept."""
    session = _live_session(request)
    if session is None:
        return _ended(request)
    return _end(request, session, reason="finished", finished=True)


app_name = "kiosk"
urlpatterns = [
    path("", home, name="home"),
    path("answer/", answer, name="answer"),
    path("finish/", finish, name="finish"),
]
