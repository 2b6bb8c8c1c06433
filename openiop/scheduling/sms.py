"""Text messages (appointment reminders), through a backend chosen in settings.

`settings.OPENIOP_SMS_BACKEND` is the dotted path of a class with `send(phone, text)`:

- `ConsoleBackend` (the default) prints each message: demo and development;
- `FileBackend` appends each message as one line of JSON to `settings.OPENIOP_SMS_FILE_PATH`;
- `LocmemBackend` keeps messages in the module-level `outbox` list: tests.

A provider's adapter (Twilio, an SMPP gateway...) is a class of the same shape in the
operator's own package; it raises on failure so the reminder is tried again on the next run.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str


# Messages "sent" with LocmemBackend, oldest first. Tests clear it (outbox.clear()).
outbox: list[TextMessage] = []


class BaseBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Print the message (demo and development)."""

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, phone: str, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"--- text message to {phone} ---\n{text}\n")
        stream.flush()


class FileBackend(BaseBackend):
    """Append each message as one JSON line (`at`, `phone`, `text`) to OPENIOP_SMS_FILE_PATH."""

    def __init__(self, path: str | None = None):
        self.path = path or getattr(settings, "OPENIOP_SMS_FILE_PATH", "")
        if not self.path:
            raise ImproperlyConfigured(
                "OPENIOP_SMS_BACKEND is the file backend but OPENIOP_SMS_FILE_PATH is not set: "
                "set it to the file text messages should be written to."
            )

    def send(self, phone: str, text: str) -> None:
        line = json.dumps({"at": timezone.now().isoformat(timespec="seconds"), "phone": phone, "text": text})
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


class LocmemBackend(BaseBackend):
    """Keep messages in `outbox` (tests)."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(TextMessage(phone=phone, text=text))


def get_backend() -> BaseBackend:
    """An instance of the backend named by settings.OPENIOP_SMS_BACKEND."""
    path = getattr(settings, "OPENIOP_SMS_BACKEND", "") or "openiop.scheduling.sms.ConsoleBackend"
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"OPENIOP_SMS_BACKEND {path!r} cannot be imported: {error}") from error
    return backend_class()


def send(phone: str, text: str) -> None:
    """Send one text message through the configured backend (raises when it fails)."""
    get_backend().send(phone, text)
