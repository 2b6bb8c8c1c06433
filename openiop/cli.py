"""The `openiop` command: Django's manage.py with OpenIOP's settings, plus OpenIOP's own commands.

Examples: `openiop migrate`, `openiop check --deploy`, `openiop demo`, `openiop seed --patients 500`,
`openiop audit report --patient M0000001`, `openiop fhir export --patient M0000001`.
"""

import os
import sys

# `openiop audit report ...` reads better than `openiop audit_report ...`; both work.
GROUPED_COMMANDS = {("audit", "report"): "audit_report", ("fhir", "export"): "fhir_export"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) >= 3 and (argv[1], argv[2]) in GROUPED_COMMANDS:
        argv = [argv[0], GROUPED_COMMANDS[(argv[1], argv[2])], *argv[3:]]
    if len(argv) >= 2 and argv[1] == "demo":
        # Demo mode must be on before settings load (it relaxes SECRET_KEY and MFA).
        os.environ.setdefault("OPENIOP_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    from openiop.lib.env import SettingError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except SettingError as error:
        sys.stderr.write(f"openiop: configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
