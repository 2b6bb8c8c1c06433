"""Where the current request came from, so services can audit without being handed a request.

The web middleware sets it per request; commands set it with `command_context()`.
"""

import contextvars
import getpass
import uuid
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    request_id: str
    ip: str | None = None
    path: str = ""
    # Who acts when there is no signed-in user (a command run by an operator, the seed).
    system_actor: str = ""


_current = contextvars.ContextVar("openiop_audit_origin", default=None)


def current_origin() -> Origin:
    origin = _current.get()
    if origin is None:
        return Origin(request_id=f"adhoc-{uuid.uuid4().hex[:12]}", system_actor="system")
    return origin


def set_origin(origin: Origin):
    return _current.set(origin)


def reset_origin(token) -> None:
    _current.reset(token)


@contextmanager
def command_context(command: str):
    """Audit what a management command does as `cli:<os user>` running `command`."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"
    token = set_origin(
        Origin(
            request_id=f"cli-{uuid.uuid4().hex[:12]}",
            path=f"openiop {command}",
            system_actor=f"cli:{os_user}",
        )
    )
    try:
        yield
    finally:
        reset_origin(token)
