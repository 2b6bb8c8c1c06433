"""Who may open which clinic screen. Patient-level access is decided by `visible_to(user)`;
these decorators decide the screen-level part (role), once, and mark the views that show
patient data so the access-matrix test finds every one of them."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from openiop.accounts.enums import STAFF_ROLES


def shows_patient_data(*, roles, needs_visibility=True, audience="clinic"):
    """Mark a view as showing patient data and allow only `roles` (others get 404).

    `needs_visibility` says the patient in the URL must also be in `visible_to(user)`; the
    privacy officer's access report is the exception (it shows who looked, not the chart).
    Anonymous visitors are sent to the login page.
    """
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in allowed:
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        wrapped.shows_patient_data = True
        wrapped.allowed_roles = allowed
        wrapped.needs_visibility = needs_visibility
        wrapped.audience = audience
        return wrapped

    return decorate


def staff_only(view):
    """A clinic screen without patient data: any staff role; portal users get 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.role not in STAFF_ROLES:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapped


def visible_patient_or_404(request, mrn: str, *, page: str):
    """The patient named in the URL if the user may see them; otherwise a 404, with the refusal
    recorded in that patient's access report (as on the chart)."""
    from openiop.audit import services as audit
    from openiop.audit.models import Action
    from openiop.patients.queries import get_visible_patient, patient_for_denial_audit

    patient = get_visible_patient(request.user, mrn)
    if patient is None:
        refused = patient_for_denial_audit(request.user, mrn)
        if refused is not None:
            audit.record(user=request.user, action=Action.DENIED, patient=refused, detail={"page": page})
        raise Http404("No such patient")
    return patient
