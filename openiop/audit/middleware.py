import re
import uuid

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
        token = set_origin(
            Origin(request_id=request_id, ip=client_ip(request), path=request.path[:300])
        )
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        response["X-Request-ID"] = request_id
        return response


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the proxy in production; operators who terminate TLS at a trusted proxy
    # configure it to overwrite REMOTE_ADDR (see the operator guide) rather than trusting
    # X-Forwarded-For here, which any client can forge.
    return request.META.get("REMOTE_ADDR") or None
