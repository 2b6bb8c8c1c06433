"""Answer vectors shared by the measures tests."""

PHQ9_ITEMS = [str(n) for n in range(1, 10)]


def phq9(*values, item10=None):
    """PHQ-9 answers {linkId: value} from nine values in question order."""
    answers = dict(zip(PHQ9_ITEMS, values, strict=True))
    if item10 is not None:
        answers["10"] = item10
    return answers
