"""The demo's medical step on the demo's patients (built without the later, slower steps)."""

import datetime as dt
import time

import pytest

from openiop.audit.context import command_context
from openiop.demo import loader
from openiop.demo.medical import build_medical
from openiop.medical.models import (
    DrugScreen,
    DrugScreenResult,
    Medication,
    Reconciliation,
    RecoveryDate,
)
from openiop.medical.rules import Interpretation
from openiop.worklist.models import Task, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_ctx():
    ctx = loader.new_context(seed=loader.DEMO_SEED, with_passwords=False)
    with command_context("demo"):
        for step in (loader.build_organization, loader.build_rooms, loader.build_staff,
                     loader.build_current_patients, loader.build_discharged_patients, loader.build_portal_logins):
            step(ctx)
    return ctx


def test_the_demo_clinic_has_medications_screens_and_a_few_unexpected_results(demo_ctx):
    started = time.monotonic()
    with command_context("demo"):
        build_medical(demo_ctx)
    assert time.monotonic() - started < 60
    assert Medication.objects.filter(moud="buprenorphine").exists()
    assert Medication.objects.filter(moud="methadone").exclude(otp_name="").exists()
    assert Medication.objects.filter(moud="naltrexone").exists()
    assert Medication.objects.filter(episode__isnull=True).exists()
    assert Reconciliation.objects.filter(kind="admission").count() >= 50
    assert Reconciliation.objects.filter(kind="discharge").exists()
    assert DrugScreen.objects.count() > 100
    unexpected = DrugScreenResult.objects.filter(interpretation__in=(Interpretation.UNEXPECTED_POSITIVE,
                                                                     Interpretation.UNEXPECTED_NEGATIVE))
    assert set(unexpected.values_list("substance", flat=True)) == {"cocaine", "fentanyl", "buprenorphine"}
    assert Task.objects.filter(kind=TaskKind.DRUG_SCREEN, urgent=True).exists()
    assert DrugScreenResult.objects.filter(interpretation=Interpretation.EXPECTED_POSITIVE).exists()
    assert DrugScreen.objects.filter(status="collected", method="lab").count() == 1
    assert RecoveryDate.objects.filter(source="portal", patient=demo_ctx.portal_patient).exists()
    assert RecoveryDate.objects.count() >= 3
    assert not DrugScreen.objects.filter(collected_at__date__gt=dt.date.today() + dt.timedelta(days=1)).exists()


def test_the_builder_draws_from_a_generator_seeded_by_the_demo_seed(demo_ctx):
    with command_context("demo"):
        build_medical(demo_ctx)
    first = list(Medication.objects.order_by("id").values_list("patient_id", "name", "dose", "started_on"))
    assert len(first) > 60
    from openiop.demo.medical import MedicalBuilder

    rerun = MedicalBuilder(demo_ctx)
    assert rerun.rng.random() == MedicalBuilder(demo_ctx).rng.random()
