"""The notes tests run at the scheduling tests' frozen now (Tuesday 1 December 2026, 09:00) and
most of them on the same small group (tests/documentation/helpers.py)."""

import pytest

from tests.documentation.helpers import build_group
from tests.scheduling.screens_clinic import frozen


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def group(clinic, clinician, patient_record):
    return build_group(clinic, clinician, patient_record)
