"""Level-of-care frameworks as configuration: dimension names, rating ranges and level codes.

Only names and numbers are here. ASAM criteria text, rating anchors and decision tables, and
the LOCUS grid, are licensed and are NOT shipped (shared domain.md section 1.1-1.3): the
clinician rates each dimension and decides the level; the software records the ratings,
shows the few escalations it can cite, and keeps the recommended level, the actual level and
the reason for any difference.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    rated: bool = True  # ASAM 4th edition dimension 6 informs program choice, carries no rating


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    # The level an IOP provides; an assessment that places someone above it needs review.
    intensity: int


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    dimensions: tuple[Dimension, ...]
    rating_min: int
    rating_max: int
    levels: tuple[Level, ...]
    # Dimensions in which the top rating means a more intensive setting than IOP is needed.
    escalation_dimensions: tuple[str, ...] = ()

    def level(self, code: str) -> Level | None:
        return next((lvl for lvl in self.levels if lvl.code == code), None)

    @property
    def level_choices(self):
        return [(lvl.code, f"{lvl.code} {lvl.name}") for lvl in self.levels]


ASAM3 = Framework(
    key="asam3",
    name="ASAM Criteria, 3rd edition",
    dimensions=(
        Dimension("d1", "1. Acute intoxication and/or withdrawal potential"),
        Dimension("d2", "2. Biomedical conditions and complications"),
        Dimension("d3", "3. Emotional, behavioral, or cognitive conditions and complications"),
        Dimension("d4", "4. Readiness to change"),
        Dimension("d5", "5. Relapse, continued use, or continued problem potential"),
        Dimension("d6", "6. Recovery/living environment"),
    ),
    rating_min=0,
    rating_max=4,
    levels=(
        Level("0.5", "Early intervention", 0),
        Level("1", "Outpatient", 1),
        Level("2.1", "Intensive outpatient", 2),
        Level("2.5", "Partial hospitalization", 3),
        Level("3.1", "Clinically managed low-intensity residential", 4),
        Level("3.3", "Clinically managed population-specific high-intensity residential", 4),
        Level("3.5", "Clinically managed high-intensity residential", 4),
        Level("3.7", "Medically monitored intensive inpatient", 5),
        Level("4", "Medically managed intensive inpatient", 6),
    ),
    escalation_dimensions=("d1", "d2", "d3"),
)

ASAM4 = Framework(
    key="asam4",
    name="ASAM Criteria, 4th edition",
    dimensions=(
        Dimension("d1", "1. Intoxication, withdrawal, and addiction medications"),
        Dimension("d2", "2. Biomedical conditions"),
        Dimension("d3", "3. Psychiatric and cognitive conditions"),
        Dimension("d4", "4. Substance use-related risks"),
        Dimension("d5", "5. Recovery environment interactions"),
        Dimension("d6", "6. Person-centered considerations", rated=False),
    ),
    rating_min=0,
    rating_max=4,
    levels=(
        Level("1.0", "Long-term remission monitoring", 1),
        Level("1.5", "Outpatient therapy", 1),
        Level("1.7", "Medically managed outpatient", 1),
        Level("2.1", "Intensive outpatient", 2),
        Level("2.5", "High-intensity outpatient", 3),
        Level("2.7", "Medically managed intensive outpatient", 3),
        Level("3.1", "Clinically managed low-intensity residential", 4),
        Level("3.5", "Clinically managed high-intensity residential", 4),
        Level("3.7", "Medically managed residential", 5),
        Level("4", "Medically managed inpatient", 6),
    ),
    escalation_dimensions=("d1", "d2", "d3"),
)

# LOCUS: the clinician enters the composite (7 scales rated 1-5, so 7-35) and the level they
# determined; the placement grid itself is licensed and not reproduced.
LOCUS = Framework(
    key="locus",
    name="LOCUS (adult), clinician-determined composite and level",
    dimensions=(),
    rating_min=7,
    rating_max=35,
    levels=(
        Level("L0", "Basic services for prevention and maintenance", 0),
        Level("L1", "Recovery maintenance and health management", 1),
        Level("L2", "Low intensity community based services", 1),
        Level("L3", "High intensity community based services", 2),
        Level("L4", "Medically monitored non-residential services", 2),
        Level("L5", "Medically monitored residential services", 5),
        Level("L6", "Medically managed residential services", 6),
    ),
)

FRAMEWORKS = {framework.key: framework for framework in (ASAM3, ASAM4, LOCUS)}
FRAMEWORK_CHOICES = [(framework.key, framework.name) for framework in FRAMEWORKS.values()]
IOP_INTENSITY = 2

# Levels an episode of care can be at or move to (step-up and step-down history), across
# frameworks: the plain names a chart shows.
CARE_LEVEL_CHOICES = [
    ("op", "Outpatient"),
    ("iop", "Intensive outpatient (IOP)"),
    ("php", "Partial hospitalization / high-intensity outpatient"),
    ("residential", "Residential"),
    ("inpatient", "Inpatient"),
]


@dataclass(frozen=True)
class Escalation:
    """A cited safety signal that forces clinician review; never an automatic placement."""

    code: str
    message: str


def escalations(framework: Framework, ratings: dict[str, int]) -> list[Escalation]:
    """Return the escalations these ratings trigger (e.g. a 4 in ASAM dimensions 1-3)."""
    found = []
    for key in framework.escalation_dimensions:
        if ratings.get(key) == framework.rating_max:
            dimension = next(d for d in framework.dimensions if d.key == key)
            found.append(
                Escalation(
                    f"{framework.key}-{key}-max",
                    f"Dimension {dimension.name} is rated {framework.rating_max}: this person needs "
                    "a more intensive setting than IOP. Clinician review required.",
                )
            )
    return found
