"""The operator docs keep up with the settings: every environment variable is documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENV_READ = re.compile(r"\benv_(?:str|bool|int|secret)\(\s*\"([A-Z][A-Z0-9_]*)\"")


def _settings_variables() -> set[str]:
    return set(ENV_READ.findall((ROOT / "carefront" / "settings.py").read_text()))


def test_settings_read_the_variables_this_test_knows_about() -> None:
    assert {"CAREFRONT_DATA_DIR", "DATABASE_URL", "CAREFRONT_QUEUE_URL", "PORT"} <= _settings_variables()


def test_every_environment_variable_has_a_section_in_configuration_md() -> None:
    documented = set(re.findall(r"^### `([A-Z0-9_]+)`$", (ROOT / "docs" / "configuration.md").read_text(), re.M))
    assert sorted(_settings_variables() - documented) == []


def test_every_environment_variable_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, re.M))
    assert sorted(_settings_variables() - table) == []


def test_readme_quick_start_opens_with_make_run_then_make_test() -> None:
    readme = (ROOT / "README.md").read_text()
    make_commands = re.findall(r"\bmake [a-z-]+", readme)
    assert make_commands[:2] == ["make run", "make test"]
    quick_start = readme.split("## Quick start", 1)[1]
    first_block = quick_start.split("```sh\n", 1)[1].split("```", 1)[0]
    assert first_block.splitlines() == ["make run", "make test"]
