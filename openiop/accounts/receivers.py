"""Sign-in events go into the same audit trail as patient-data access."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from openiop.audit import services as audit
from openiop.audit.models import Action


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit.record_auth_event(user=user, action=Action.LOGIN, request=request)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record_auth_event(user=user, action=Action.LOGOUT, request=request)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or credentials.get("login") or ""
    audit.record_auth_event(
        user=None, action=Action.LOGIN_FAILED, request=request, username=str(username)
    )
