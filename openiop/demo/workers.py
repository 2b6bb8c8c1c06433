"""Start-up for `openiop seed --jobs N` worker processes.

Kept apart from loader.py on purpose: a spawned worker imports this module before Django is
set up, so it must not import models.
"""

import os

import django


def set_up_worker() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    django.setup()
