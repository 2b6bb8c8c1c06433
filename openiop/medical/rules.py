"""Drug screens: substances, panels, which medication explains which result, and interpretation.

Pure functions and tables; no database. The services call `interpret()` when a result is
recorded and store what it says with the result, so a later change to the medication list
never rewrites what a past result meant.

How a result is read (SAMHSA TIP 63 and the ASAM drug-testing consensus, in short):
- a negative is expected, unless the patient takes a medication for opioid use disorder
  (buprenorphine, methadone) whose substance the panel tests for: then a negative is an
  *unexpected negative* (possible missed doses or diversion: something to talk about);
- a positive is expected when a medication active on the collection day explains it
  (buprenorphine prescribed, methadone dispensed by an opioid treatment program, a
  prescribed benzodiazepine...); otherwise it is an *unexpected positive*;
- an inconclusive result, or a negative from a specimen that is not valid (dilute,
  adulterated, invalid), cannot be interpreted.
A presumptive (point-of-care) positive is not a confirmed result: the note says so, and names
known cross-reactions of the patient's medications. The software suggests; the clinician
decides, with the patient. A single result is never a reason given here to discharge anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models


class Specimen(models.TextChoices):
    URINE = "urine", "Urine"
    SALIVA = "saliva", "Saliva (oral fluid)"
    BREATH = "breath", "Breath"


class Method(models.TextChoices):
    POINT_OF_CARE = "poc", "Point-of-care cup or card, read by eye"
    INSTRUMENT = "instrument", "Point-of-care, instrument-read"
    LAB = "lab", "Laboratory (sent out)"


class Validity(models.TextChoices):
    VALID = "valid", "Valid"
    DILUTE = "dilute", "Dilute"
    ADULTERATED = "adulterated", "Adulterated"
    INVALID = "invalid", "Invalid"


class Result(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class Interpretation(models.TextChoices):
    EXPECTED_NEGATIVE = "expected_negative", "Expected negative"
    EXPECTED_POSITIVE = "expected_positive", "Expected positive (explained by a medication)"
    UNEXPECTED_POSITIVE = "unexpected_positive", "Unexpected positive"
    UNEXPECTED_NEGATIVE = "unexpected_negative", "Unexpected negative (prescribed medication not found)"
    NOT_INTERPRETABLE = "not_interpretable", "Not interpretable"


UNEXPECTED = frozenset({Interpretation.UNEXPECTED_POSITIVE, Interpretation.UNEXPECTED_NEGATIVE})


# --- substances ------------------------------------------------------------------------------

ALCOHOL = "alcohol"
ETG = "etg"
AMPHETAMINES = "amphetamines"
METHAMPHETAMINE = "methamphetamine"
BARBITURATES = "barbiturates"
BENZODIAZEPINES = "benzodiazepines"
BUPRENORPHINE = "buprenorphine"
COCAINE = "cocaine"
FENTANYL = "fentanyl"
METHADONE = "methadone"
MDMA = "mdma"
OPIATES = "opiates"
OXYCODONE = "oxycodone"
PCP = "pcp"
THC = "thc"

SUBSTANCES: dict[str, str] = {
    ALCOHOL: "Alcohol (breath)",
    ETG: "Alcohol metabolite (EtG)",
    AMPHETAMINES: "Amphetamines",
    METHAMPHETAMINE: "Methamphetamine",
    BARBITURATES: "Barbiturates",
    BENZODIAZEPINES: "Benzodiazepines",
    BUPRENORPHINE: "Buprenorphine",
    COCAINE: "Cocaine",
    FENTANYL: "Fentanyl",
    METHADONE: "Methadone",
    MDMA: "MDMA (ecstasy)",
    OPIATES: "Opiates (morphine, codeine, heroin)",
    OXYCODONE: "Oxycodone",
    PCP: "Phencyclidine (PCP)",
    THC: "Cannabis (THC)",
}
OPIOIDS = frozenset({OPIATES, OXYCODONE, FENTANYL, METHADONE, BUPRENORPHINE})
# A positive for these means a risk of overdose now: the clinician's task is urgent.
URGENT_POSITIVES = frozenset({FENTANYL})


def substance_name(code: str) -> str:
    return SUBSTANCES.get(code, code)


# --- panels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    code: str
    name: str
    specimen: str
    method: str
    substances: tuple[str, ...]


CUP_12 = (AMPHETAMINES, BARBITURATES, BENZODIAZEPINES, BUPRENORPHINE, COCAINE, MDMA, METHAMPHETAMINE,
          METHADONE, OPIATES, OXYCODONE, PCP, THC)
PANELS: dict[str, Panel] = {panel.code: panel for panel in (
    Panel("cup12", "12-panel urine cup", Specimen.URINE, Method.POINT_OF_CARE, CUP_12),
    Panel("cup14", "14-panel urine cup with fentanyl and EtG", Specimen.URINE, Method.POINT_OF_CARE,
          CUP_12 + (FENTANYL, ETG)),
    Panel("fentanyl_strip", "Fentanyl urine test strip", Specimen.URINE, Method.POINT_OF_CARE, (FENTANYL,)),
    Panel("saliva6", "6-panel oral fluid test", Specimen.SALIVA, Method.POINT_OF_CARE,
          (AMPHETAMINES, COCAINE, METHAMPHETAMINE, OPIATES, PCP, THC)),
    Panel("breath", "Breathalyzer", Specimen.BREATH, Method.INSTRUMENT, (ALCOHOL,)),
    Panel("lab_uds", "Laboratory urine drug panel (immunoassay, with confirmation)", Specimen.URINE, Method.LAB,
          CUP_12 + (FENTANYL, ETG)),
)}
PANEL_CHOICES = [(panel.code, panel.name) for panel in PANELS.values()]

# Breath alcohol is measured in g/dL (g/210 L of breath); any reading above zero is positive.
BREATH_ALCOHOL_UNIT = "g/dL"


def panel(code: str) -> Panel | None:
    return PANELS.get(code)


# --- billing: presumptive drug tests (domain.md 2.2) ------------------------------------------

SERVICE_CODES = {Method.POINT_OF_CARE: "80305", Method.INSTRUMENT: "80306", Method.LAB: "80307"}


def service_code_for(*, method: str, specimen: str) -> str:
    """The presumptive drug-test code for a screen; a breath alcohol test is not one (blank)."""
    if specimen == Specimen.BREATH:
        return ""
    return SERVICE_CODES.get(method, "")


# --- medications: what each explains ---------------------------------------------------------


class MoudKind(models.TextChoices):
    NONE = "none", "Not a medication for opioid use disorder"
    BUPRENORPHINE = "buprenorphine", "Buprenorphine"
    NALTREXONE = "naltrexone", "Naltrexone"
    METHADONE = "methadone", "Methadone (opioid treatment program)"


# Substances a medication for opioid use disorder must show: missing means possible missed doses.
MOUD_SUBSTANCE = {MoudKind.BUPRENORPHINE: BUPRENORPHINE, MoudKind.METHADONE: METHADONE}

# Words in a medication's name -> the substance class a screen finds it as. Lower case; a
# medication explains a positive only for the class listed here (never "all opioids").
EXPLAINED_BY_NAME: tuple[tuple[str, str], ...] = (
    ("buprenorphine", BUPRENORPHINE), ("suboxone", BUPRENORPHINE), ("subutex", BUPRENORPHINE),
    ("sublocade", BUPRENORPHINE), ("zubsolv", BUPRENORPHINE),
    ("methadone", METHADONE),
    ("oxycodone", OXYCODONE), ("oxycontin", OXYCODONE), ("percocet", OXYCODONE),
    ("morphine", OPIATES), ("codeine", OPIATES), ("hydrocodone", OPIATES),
    ("fentanyl", FENTANYL),
    ("alprazolam", BENZODIAZEPINES), ("clonazepam", BENZODIAZEPINES), ("lorazepam", BENZODIAZEPINES),
    ("diazepam", BENZODIAZEPINES), ("chlordiazepoxide", BENZODIAZEPINES), ("temazepam", BENZODIAZEPINES),
    ("amphetamine", AMPHETAMINES), ("adderall", AMPHETAMINES), ("lisdexamfetamine", AMPHETAMINES),
    ("vyvanse", AMPHETAMINES),
    ("phenobarbital", BARBITURATES), ("butalbital", BARBITURATES),
    ("dronabinol", THC),
)
# Known immunoassay cross-reactions: a presumptive positive that may be a false positive.
CROSS_REACTIONS: tuple[tuple[str, str], ...] = (
    ("sertraline", BENZODIAZEPINES), ("quetiapine", METHADONE), ("bupropion", AMPHETAMINES),
)


@dataclass(frozen=True)
class ActiveMedication:
    """What interpretation needs of a medication (the model passes itself as one)."""

    pk: int | None
    name: str
    moud: str
    started_on: dt.date | None
    stopped_on: dt.date | None


def explains(medication, substance: str) -> bool:
    if MOUD_SUBSTANCE.get(medication.moud) == substance:
        return True
    name = medication.name.lower()
    return any(word in name and found == substance for word, found in EXPLAINED_BY_NAME)


def cross_reacts(medication, substance: str) -> bool:
    name = medication.name.lower()
    return any(word in name and found == substance for word, found in CROSS_REACTIONS)


def is_active_on(medication, day: dt.date) -> bool:
    """Taken on `day`: started by then (or start unknown) and not stopped before it. The stop
    day itself still counts (the last dose may have been that morning)."""
    if medication.started_on is not None and medication.started_on > day:
        return False
    return medication.stopped_on is None or medication.stopped_on >= day


@dataclass(frozen=True)
class Reading:
    interpretation: str
    note: str
    explained_by: object | None = None   # the medication that explains an expected positive


def interpret(*, substance: str, result: str, medications, validity: str = Validity.VALID,
              method: str = Method.POINT_OF_CARE) -> Reading:
    """What one result means given the medications active on the collection day."""
    if result == Result.INCONCLUSIVE:
        return Reading(Interpretation.NOT_INTERPRETABLE, "Inconclusive result: repeat or send for confirmation.")
    medications = list(medications)
    expected_by = [m for m in medications if explains(m, substance)]
    if result == Result.NEGATIVE:
        if validity != Validity.VALID:
            return Reading(Interpretation.NOT_INTERPRETABLE,
                           f"Specimen {Validity(validity).label.lower()}: a negative result may be falsely negative.")
        moud = [m for m in expected_by if MOUD_SUBSTANCE.get(m.moud) == substance]
        if moud:
            names = ", ".join(m.name for m in moud)
            return Reading(Interpretation.UNEXPECTED_NEGATIVE,
                           f"{substance_name(substance)} not found while {names} is on the medication list: "
                           "possible missed doses. Discuss with the patient and the prescriber.")
        return Reading(Interpretation.EXPECTED_NEGATIVE, "")
    # Positive.
    if expected_by:
        return Reading(Interpretation.EXPECTED_POSITIVE, f"Explained by {expected_by[0].name}.",
                       explained_by=expected_by[0])
    notes = []
    if substance in OPIOIDS and any(m.moud == MoudKind.NALTREXONE for m in medications):
        notes.append("The patient is on naltrexone, which blocks opioids: opioid use on naltrexone can lead "
                     "to overdose when the blockade wears off.")
    if substance in URGENT_POSITIVES:
        notes.append("Fentanyl: high overdose risk. Offer naloxone and talk with the patient today.")
    crossing = [m.name for m in medications if cross_reacts(m, substance)]
    if crossing and method != Method.LAB:
        notes.append(f"{', '.join(crossing)} can cross-react with this test: consider laboratory confirmation.")
    elif method != Method.LAB:
        notes.append("Presumptive result: confirm by laboratory testing if it will change care.")
    return Reading(Interpretation.UNEXPECTED_POSITIVE, " ".join(notes))


def breath_result(value) -> str:
    """A breath alcohol reading (g/dL) as a result: above zero is positive."""
    if value is None:
        return Result.INCONCLUSIVE
    return Result.POSITIVE if value > 0 else Result.NEGATIVE
