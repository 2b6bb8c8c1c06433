"""The Django admin shows plans but cannot change them: a signed version and its content stay
exactly as signed whatever an administrator posts."""

import datetime as dt

import pytest

from openiop.plans import services
from openiop.plans.models import CopingStrategy, Plan, PlanKind, PlanVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_admin(admin_user):
    """The system administrator, with the flags the Django admin needs (as the demo's `admin`)."""
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    return admin_user


@pytest.fixture
def signed_version(patient_record, clinician):
    plan = Plan.objects.get(patient=patient_record, kind=PlanKind.TREATMENT)
    draft = services.start_revision(actor=clinician, plan=plan)
    goal = services.save_item(actor=clinician, version=draft, part="goal", problem=draft.problems.first(),
                              clinical_text="Sustained abstinence from alcohol",
                              patient_words="I want to keep my job")
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal,
                       text="Attend 90% of groups for 4 weeks", target_date=dt.date(2026, 11, 1))
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                       frequency="3 groups a week", responsible=clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


@pytest.mark.parametrize("model", ["plan", "planversion", "signature", "review", "proposal", "goal"])
def test_the_admin_does_not_show_plans_at_all(login, site_admin, signed_version, model):
    # Patient records are read on the clinic screens only (visible_to + audit); the system
    # administrator does not open charts, not even read-only through the admin.
    client = login(site_admin)
    assert client.get(f"/admin/plans/{model}/").status_code == 404
    assert client.get(f"/admin/plans/{model}/1/change/").status_code in (302, 404)


def test_posting_to_the_admin_cannot_change_a_signed_version(login, site_admin, signed_version):
    client = login(site_admin)
    client.post(f"/admin/plans/planversion/{signed_version.pk}/change/", {"change_reason": "edited"})
    signed_version.refresh_from_db()
    assert signed_version.change_reason != "edited"


def test_an_organizations_coping_strategy_is_editable_and_a_built_in_one_is_not(login, site_admin, clinic):
    client = login(site_admin)
    own = services.add_coping_strategy(organization=clinic["organization"], name="Call my sponsor")
    response = client.post(f"/admin/plans/copingstrategy/{own.pk}/change/", {
        "name": "Call my sponsor first", "description": "Before anything else", "active": "on"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.name == "Call my sponsor first"
    built_in = CopingStrategy.objects.filter(organization=None).first()
    response = client.post(f"/admin/plans/copingstrategy/{built_in.pk}/change/", {"name": "Renamed", "active": ""})
    assert response.status_code == 403
    assert CopingStrategy.objects.get(pk=built_in.pk).name != "Renamed"


def test_curriculum_modules_are_added_in_the_admin(login, site_admin, clinic):
    response = login(site_admin).post("/admin/programs/curriculummodule/add/", {
        "organization": clinic["organization"].pk, "topic_area": "Life skills", "title": "Money management",
        "description": "", "active": "on"})
    assert response.status_code == 302
    assert clinic["organization"].curriculum_modules.get().title == "Money management"
