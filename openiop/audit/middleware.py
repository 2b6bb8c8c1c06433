import ipaddress
import re
import uuid

from django.conf import settings

from openiop.audit.context import Origin, reset_origin, set_origin

# Accept a load balancer's request id only when it looks like one (no log injection).
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (X-Request-ID) and remember its origin for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        ip = client_ip(request)
        # Everything after this (audit, lockout, rate limits) reads the client's address, not
        # the proxy's, from the one place Django keeps it.
        request.META["REMOTE_ADDR"] = ip or ""
        token = set_origin(
            Origin(request_id=request_id, ip=ip, path=request.path[:300])
        )
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        response["X-Request-ID"] = request_id
        return response


def client_ip(request) -> str | None:
    """Return the address of the person's machine.

    Behind a reverse proxy, REMOTE_ADDR is the proxy. When it is one of OPENIOP_TRUSTED_PROXIES,
    the client is the right-most X-Forwarded-For address that is not itself a trusted proxy;
    addresses further left were written by the client and can be forged, so they are ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.OPENIOP_TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for address in reversed([part.strip() for part in forwarded.split(",")]):
        if address and address not in trusted and _is_ip_address(address):
            return address
    return remote


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
