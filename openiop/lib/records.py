"""What clinical records of every app share: a record complete when it is written.

`WrittenOnce` is the one rule behind signatures, signed reviews, addenda, reconciliations,
drug-screen results and the like: once saved it is never changed and never deleted, on every
path that goes through the model (service, view, admin, shell). Each app names the error it
raises (`written_once_error`), so its callers catch their own kind of refusal.
"""

from django.core.exceptions import ValidationError
from django.db import models


class WrittenOnce(models.Model):
    # How the record calls itself in a refusal ("A signature"); by default "This <verbose name>".
    written_once_what = ""
    written_once_error = ValidationError

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # `_state.adding` is False for any row that came from, or already went to, the database.
        if not self._state.adding:
            raise self.written_once_error(f"{self._written_once_name()} cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.written_once_error(f"{self._written_once_name()} is never deleted.")

    def _written_once_name(self) -> str:
        return self.written_once_what or f"This {self._meta.verbose_name}"
