import pytest
from django.core.management.base import CommandError

from openiop.lib.commands import PlainErrorCommand


class BrokenCommand(PlainErrorCommand):
    failure_summary = "the import failed"
    failure_advice = "Check the file and run it again."

    def run(self, options):
        raise ValueError("row 3 has no date")


def test_it_turns_an_unexpected_failure_into_one_line_saying_what_to_do():
    with pytest.raises(CommandError) as error:
        BrokenCommand().handle(verbose=False)
    assert str(error.value) == (
        "the import failed: ValueError: row 3 has no date. Check the file and run it again."
    )


def test_it_shows_the_real_error_with_verbose():
    with pytest.raises(ValueError):
        BrokenCommand().handle(verbose=True)


def test_the_demo_and_seed_commands_share_this_shape():
    from openiop.demo.management.commands import demo, seed

    assert issubclass(demo.Command, PlainErrorCommand)
    assert issubclass(seed.Command, PlainErrorCommand)
