"""`openiop seed`: a synthetic clinic with a year of history, on an empty or demo database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.demo import loader
from openiop.patients.models import Patient
from openiop.programs.models import Organization

pytestmark = pytest.mark.django_db


def run_seed(*args) -> str:
    out = StringIO()
    # One process: worker processes would not see the test database's transaction.
    call_command("seed", *args, "--jobs", "1", stdout=out)
    return out.getvalue()


def test_it_creates_the_clinic_and_the_requested_patients_in_an_empty_database():
    output = run_seed("--patients", "30", "--chunk-size", "12")
    assert Patient.objects.count() == 30
    assert Organization.objects.get().name == "Riverbend Behavioral Health"
    assert "Seeding: patients 24/30" in output
    assert "Seeded 30 patients in" in output


def test_it_spreads_admissions_over_the_past_year_and_discharges_finished_stays():
    run_seed("--patients", "40")
    today = timezone.localdate()
    episodes = EpisodeOfCare.objects.all()
    assert episodes.count() == 40
    assert all((today - e.admitted_on).days < 366 for e in episodes)
    finished = episodes.filter(status=EpisodeStatus.FINISHED)
    assert finished.exists() and episodes.filter(status=EpisodeStatus.ACTIVE).exists()
    assert all(e.admitted_on <= e.discharged_on < today and e.discharge_reason for e in finished)
    assert all(e.diagnoses.filter(is_primary=True).count() == 1 for e in episodes)


def test_it_adds_to_the_demo_clinic_when_it_exists():
    loader.build_demo_clinic()
    before = Patient.objects.count()
    run_seed("--patients", "10")
    assert Patient.objects.count() == before + 10
    assert Organization.objects.count() == 1


def test_it_refuses_a_database_that_holds_another_organization():
    Organization.objects.create(name="A real clinic")
    with pytest.raises(CommandError, match="other organizations") as refused:
        run_seed("--patients", "5")
    assert refused.value.returncode == 2
    assert not Patient.objects.exists()


def test_it_makes_the_same_people_from_the_same_seed():
    loader.prepare_seed_clinic(seed=7, patients=4)
    loader.seed_chunk(7, 0, 4)
    first = list(Patient.objects.order_by("id").values_list("legal_last_name", "date_of_birth"))
    loader.seed_chunk(7, 0, 4)
    second = list(Patient.objects.order_by("id").values_list("legal_last_name", "date_of_birth"))[4:]
    assert first == second
