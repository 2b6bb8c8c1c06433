"""Factories for a small synthetic clinic. Records are written through the services, as in
production, so labels and audit events are what they would really be."""

import datetime as dt

import factory

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.programs.models import Organization, Program, ProgramKind, Room, Site

TEST_PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Riverbend Recovery {n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Main Street site {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SelfAttribute("site.organization")
    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Adult substance-use IOP {n}")
    code = factory.Sequence(lambda n: f"sud-{n}")
    kind = ProgramKind.SUBSTANCE_USE
    is_part2 = True


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Group room {n}")
    capacity = 12


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.CLINICIAN
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


def make_patient(*, organization, program, actor=None, **overrides):
    from openiop.patients import services

    fields = {
        "legal_first_name": "Jordan",
        "legal_last_name": "Rivera",
        "date_of_birth": dt.date(1988, 4, 12),
        "phone": "555-0100",
    }
    fields.update(overrides)
    return services.register_patient(actor=actor, organization=organization, program=program, **fields)


def admit(*, patient, program, clinician=None, actor=None, admitted_on=dt.date(2026, 10, 1)):
    from openiop.care import services

    episode = services.admit_patient(actor=actor, patient=patient, program=program, admitted_on=admitted_on)
    if clinician is not None:
        services.assign_care_team_member(
            actor=actor, episode=episode, user=clinician, role="primary", start_date=admitted_on
        )
    return episode
