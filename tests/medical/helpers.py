"""Shared setup for the medical tests: a prescriber on the SUD program, medications and screens
written through the services, at the scheduling tests' frozen NOW (Tuesday 1 December 2026)."""

import datetime as dt

from openiop.accounts.enums import Role
from openiop.medical import rules, services
from tests.factories.clinic import UserFactory
from tests.scheduling.screens_clinic import NOW, TODAY, at, frozen  # noqa: F401

NEGATIVE_12 = {code: "negative" for code in rules.CUP_12}


def make_prescriber(clinic, username="prescriber"):
    user = UserFactory(username=username, role=Role.PRESCRIBER, organization=clinic["organization"],
                       first_name="Elena", last_name="Vasquez")
    user.programs.set([clinic["sud"]])
    return user


def buprenorphine(actor, patient, prescriber, *, started_on=dt.date(2026, 10, 2), **fields):
    return services.add_medication(
        actor=actor, patient=patient, name="Buprenorphine/naloxone", dose="8 mg/2 mg", route="sublingual",
        frequency="twice daily", started_on=started_on, reason="Opioid use disorder", moud="buprenorphine",
        prescriber=prescriber, **fields)


def cup(actor, patient, *, when=None, **results):
    return services.record_drug_screen(
        actor=actor, patient=patient, specimen="urine", collected_at=when or NOW - dt.timedelta(hours=1),
        observed=True, panel="cup12", results={**NEGATIVE_12, **results})
