"""The `carefront` console script's own help."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import get_commands

from carefront.cli import MAIN_COMMANDS, main


@pytest.mark.parametrize("argv", [["carefront"], ["carefront", "--help"], ["carefront", "-h"]])
def test_carefront_help_lists_the_main_commands_and_points_to_the_full_list(argv: list[str], capsys: Any) -> None:
    main(argv)

    out = capsys.readouterr().out
    assert out.startswith("Carefront: one desk for customers and clients.")
    for name in ("serve", "worker", "demo", "import", "export", "createadmin", "token", "manage"):
        assert f"\n  {name} " in out
    assert "carefront help" in out


def test_every_command_the_help_lists_exists() -> None:
    available = set(get_commands())
    missing = [name for name, _ in MAIN_COMMANDS if name != "manage" and name not in available]
    assert missing == []


def test_manage_runs_any_django_command(capsys: Any) -> None:
    main(["carefront", "manage", "help", "createadmin"])
    assert "--if-missing" in capsys.readouterr().out
