"""The `openiop` command: Django's manage.py with OpenIOP's settings, plus OpenIOP's own commands.

Examples: `openiop migrate`, `openiop check --deploy`, `openiop demo`, `openiop seed --patients 500`,
`openiop audit report --patient M0000001`, `openiop fhir export --patient M0000001`.
"""

import os
import sys

# `openiop audit report ...` reads better than `openiop audit_report ...`; both work.
GROUPED_COMMANDS = {("audit", "report"): "audit_report", ("fhir", "export"): "fhir_export"}
GROUPED_COMMANDS |= {
    ("measures", "score"): "measures_score",
    ("measures", "import-questionnaire"): "measures_import_questionnaire",
    ("measures", "import-response"): "measures_import_response",
    ("measures", "schedule"): "measures_schedule",
    ("measures", "remind"): "measures_remind",
}
GROUPED_COMMANDS |= {("plans", "check"): "plans_check"}
GROUPED_COMMANDS |= {("schedule", "solve"): "schedule_solve", ("schedule", "validate"): "schedule_validate"}
GROUPED_COMMANDS |= {("schedule", "export"): "schedule_export", ("schedule", "check"): "schedule_check",
                     ("schedule", "remind"): "schedule_remind"}
GROUPED_COMMANDS |= {("notes", "remind"): "notes_remind"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) >= 3 and (argv[1], argv[2]) in GROUPED_COMMANDS:
        argv = [argv[0], GROUPED_COMMANDS[(argv[1], argv[2])], *argv[3:]]
    if len(argv) >= 2 and argv[1] == "demo":
        # Demo mode must be on before settings load (it relaxes SECRET_KEY and MFA).
        os.environ.setdefault("OPENIOP_DEMO", "1")
        data_dir = _option_value(argv, "--data-dir")
        if data_dir:
            # Settings read OPENIOP_DATA_DIR at import, so it must be set before Django loads.
            os.environ["OPENIOP_DATA_DIR"] = os.path.abspath(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    from openiop.lib.env import SettingError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except SettingError as error:
        sys.stderr.write(f"openiop: configuration error: {error}\n")
        sys.exit(2)
    except BrokenPipeError:
        # The reader went away (`openiop audit report ... | head`): stop quietly, as Unix
        # tools do, instead of printing a traceback. Python's docs recommend this dance.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


def _option_value(argv: list[str], name: str) -> str | None:
    """Return the value of `name VALUE` or `name=VALUE` in argv, if given."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__":
    main()
