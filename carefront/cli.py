"""The `carefront` console script: Django's management commands under one name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carefront.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    # `carefront manage migrate` and `carefront migrate` mean the same thing.
    if len(args) > 1 and args[1] == "manage":
        args.pop(1)
    execute_from_command_line(["carefront", *args[1:]])


if __name__ == "__main__":
    main()
