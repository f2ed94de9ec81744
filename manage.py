#!/usr/bin/env python
"""Django's command-line utility for StepWise."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stepwise.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, connections

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # Bad configuration is an operator's problem to fix, not a programmer's traceback.
        sys.stderr.write(f"StepWise configuration error: {error}\n")
        sys.exit(2)
    except OperationalError as error:
        connection = connections["default"]
        if connection.connection is not None:
            raise  # connected, then failed: a real error, with its traceback
        from infra.env import database_problem

        sys.stderr.write(
            f"StepWise cannot start: {database_problem(connection.settings_dict, error)}\n"
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
