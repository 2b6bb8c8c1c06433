"""The public "Is an intensive outpatient program right for me?" self-check.

THIS IS NOT A DIAGNOSIS AND NOT A LEVEL-OF-CARE DECISION. It turns a visitor's own yes/no
answers into "which kind of care sounds closest", using a short rule that anyone can read
below, so they know what to ask about. Only a professional who talks with the person can
decide what care fits (see domain.md §1: the software suggests, a clinician decides).

The questions follow what the program's own materials tell patients and families an IOP is
for: more than weekly therapy is needed but not 24/7 care; mental health and substance use
together; stepping down from inpatient, residential or partial hospitalization; a recent
emergency visit for a mental-health crisis; outpatient therapy without enough improvement;
work, school or family commitments to keep.

Nothing here touches the database, the session or the audit trail: answers live only in the
request that carries them.
"""

from dataclasses import dataclass, field

YES = "yes"
NO = "no"
NOT_SURE = "not_sure"
ANSWER_CHOICES = [(YES, "Yes"), (NO, "No"), (NOT_SURE, "Not sure")]

FOR_SELF = "self"
FOR_FAMILY = "family"
FOR_WHOM_CHOICES = [(FOR_SELF, "Myself"), (FOR_FAMILY, "A family member or someone I care about")]


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    help: str = ""
    # What the result page says back when the answer is "yes" (or "not sure").
    said_yes: str = ""


# Asked first, on its own. "Yes" or "Not sure" stops the self-check and shows crisis help.
SAFETY = Question(
    key="danger",
    text="Right now, are you (or the person you are asking about) thinking about ending your "
         "life, thinking about harming someone else, or in danger?",
    help="If the answer is yes, you do not have to finish this page: call or text 988, or call 911.",
)

# Questions about how much care is needed. "Yes" to round-the-clock care or to "most of the
# day" points past an IOP to a more intensive setting.
NEEDS_24_7 = Question(
    key="needs_24_7",
    text="Is care needed around the clock? For example, someone has to be with them day and "
         "night to stay safe, or they need medical care to stop drinking or using drugs safely "
         "(withdrawal).",
    said_yes="care may be needed around the clock, or medical help to stop drinking or using safely",
)
MOST_OF_DAY = Question(
    key="most_of_day",
    text="Is it hard to get through most days even with help, so that going to work, school or "
         "daily tasks is not possible right now?",
    said_yes="getting through most days is not possible right now, even with help",
)

# The indicators that an IOP may fit (any "yes" is enough to point at IOP).
MORE_THAN_WEEKLY = Question(
    key="more_than_weekly",
    text="Is weekly therapy (or no treatment) not enough right now? For example, symptoms or "
         "alcohol or drug use are making daily life, work, school or relationships hard.",
    said_yes="weekly therapy (or no treatment) is not enough right now",
)
CO_OCCURRING = Question(
    key="co_occurring",
    text="Are both mental health (such as depression, anxiety or trauma) and alcohol or drug "
         "use part of what is going on?",
    said_yes="both mental health and alcohol or drug use are part of what is going on",
)
STEPPING_DOWN = Question(
    key="stepping_down",
    text="Is the person leaving, or did they recently finish, a hospital stay, residential "
         "treatment, or a partial hospitalization (day) program?",
    said_yes="there was a recent hospital stay, residential treatment or day program",
)
RECENT_ER = Question(
    key="recent_er",
    text="In the past few months, was there an emergency room visit for a mental-health crisis?",
    said_yes="there was a recent emergency room visit for a mental-health crisis",
)
OUTPATIENT_NOT_ENOUGH = Question(
    key="outpatient_not_enough",
    text="Has outpatient therapy (for example, weekly sessions) been tried without enough improvement?",
    said_yes="outpatient therapy has not helped enough",
)
COMMITMENTS = Question(
    key="commitments",
    text="Are there work, school or family commitments to keep during treatment?",
    said_yes="there are work, school or family commitments to keep",
)

INTENSITY_QUESTIONS = (NEEDS_24_7, MOST_OF_DAY)
IOP_INDICATORS = (MORE_THAN_WEEKLY, CO_OCCURRING, STEPPING_DOWN, RECENT_ER, OUTPATIENT_NOT_ENOUGH)
# Grouped as the page shows them (each group is one fieldset).
GROUPS = (
    ("How much care is needed", (MORE_THAN_WEEKLY, NEEDS_24_7, MOST_OF_DAY)),
    ("What has been happening", (CO_OCCURRING, STEPPING_DOWN, RECENT_ER, OUTPATIENT_NOT_ENOUGH)),
    ("Daily life", (COMMITMENTS,)),
)
QUESTIONS = tuple(q for _, group in GROUPS for q in group)


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    what_it_is: str
    time: str
    for_whom: str


OUTPATIENT = "outpatient"
IOP = "iop"
PHP = "php"
RESIDENTIAL = "residential"

LEVELS = (
    Level(
        OUTPATIENT, "Outpatient therapy",
        "Appointments with a therapist or counselor. You live at home and keep your usual routine.",
        "Usually about an hour, once a week or every other week.",
        "When symptoms or substance use are there but daily life is mostly manageable.",
    ),
    Level(
        IOP, "Intensive outpatient program (IOP)",
        "A structured program of group, individual and family therapy, coping skills, education "
        "and medication support. You live at home and go to the program on set days.",
        "Usually 9 to 19 hours a week over 3 to 5 days (for example, 3 hours on 3 evenings), "
        "for several weeks to a few months, then a step down to weekly care.",
        "When weekly therapy is not enough but care around the clock is not needed, and work, "
        "school or family life can continue alongside treatment.",
    ),
    Level(
        PHP, "Partial hospitalization program (PHP, a day program)",
        "Treatment for most of the day at a hospital or clinic. You sleep at home.",
        "Usually 5 days a week, 20 hours a week or more.",
        "When it is hard to get through the day even with help, but staying overnight is not needed.",
    ),
    Level(
        RESIDENTIAL, "Residential or inpatient treatment",
        "You stay at a treatment center or hospital, with staff there day and night.",
        "24 hours a day, for days to a few months.",
        "When someone is not safe at home, needs medical care (for example during withdrawal), "
        "or needs more support than any outpatient program can give.",
    ),
)
LEVELS_BY_KEY = {level.key: level for level in LEVELS}


@dataclass
class Suggestion:
    """What the result page shows. `closest` is None when safety comes first."""

    for_whom: str
    urgent: bool
    closest: str | None
    reasons: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    keeps_commitments: bool = False

    @property
    def about_someone_else(self) -> bool:
        return self.for_whom == FOR_FAMILY

    @property
    def closest_level(self) -> Level | None:
        return LEVELS_BY_KEY.get(self.closest) if self.closest else None


def suggests_danger(answer: str) -> bool:
    """"Not sure" counts as danger too: when in doubt, the crisis line is the right first call."""
    return answer in (YES, NOT_SURE)


def suggest(answers: dict) -> Suggestion:
    """Return the kind of care that sounds closest to the answers, with the answers behind it.

    The whole rule, in order (the first that applies wins):
      1. Possible danger right now  -> no level suggested; crisis help first.
      2. Care needed around the clock -> residential or inpatient.
      3. Most days impossible even with help -> partial hospitalization.
      4. Any IOP indicator answered "yes" -> intensive outpatient program.
      5. Otherwise -> outpatient therapy.
    Unanswered questions count as "not sure". It is deliberately simple and is NOT a diagnosis
    or an assessment; the result page says so and always points to a professional.
    """
    def answer(question: Question) -> str:
        return answers.get(question.key) or NOT_SURE

    urgent = suggests_danger(answers.get(SAFETY.key) or NOT_SURE)
    yes = [q for q in QUESTIONS if answer(q) == YES]
    unsure = [q.said_yes for q in QUESTIONS if answer(q) == NOT_SURE]
    keeps_commitments = answer(COMMITMENTS) == YES

    if urgent:
        closest, because = None, []
    elif answer(NEEDS_24_7) == YES:
        closest, because = RESIDENTIAL, [NEEDS_24_7]
    elif answer(MOST_OF_DAY) == YES:
        closest, because = PHP, [MOST_OF_DAY]
    elif any(q in yes for q in IOP_INDICATORS):
        closest, because = IOP, [q for q in IOP_INDICATORS if q in yes]
        if keeps_commitments:
            because.append(COMMITMENTS)
    else:
        closest, because = OUTPATIENT, []

    return Suggestion(
        for_whom=answers.get("for_whom") or FOR_SELF,
        urgent=urgent,
        closest=closest,
        reasons=[q.said_yes for q in because],
        unsure=unsure,
        keeps_commitments=keeps_commitments,
    )
