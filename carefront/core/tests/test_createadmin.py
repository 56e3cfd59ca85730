"""`carefront createadmin` and the first-run admin that `make run` and `serve` rely on."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from carefront.core.models import Role

User = get_user_model()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def _password(output: str) -> str:
    match = re.search(r"password: (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_createadmin_generates_a_password_that_signs_in_and_stores_none(db: Any, data_dir: Path) -> None:
    output = _run("--username", "root", "--email", "root@example.com")

    user = User.objects.get(username="root")
    assert user.staff_profile.role == Role.ADMIN
    assert user.is_superuser and user.is_staff
    assert user.email == "root@example.com"
    assert user.check_password(_password(output))
    assert not (data_dir / "admin-password.txt").exists()


def test_createadmin_refuses_a_taken_username(db: Any, data_dir: Path, ada: Any) -> None:
    with pytest.raises(CommandError, match="already exists"):
        _run("--username", "ada")


def test_createadmin_if_missing_creates_one_admin_and_prints_the_same_login_every_time(db: Any, data_dir: Path) -> None:
    first = _run("--if-missing")
    second = _run("--if-missing")

    assert "Created admin" in first
    assert "Created admin" not in second
    assert "username: admin" in second
    assert _password(first) == _password(second)
    assert User.objects.filter(staff_profile__role=Role.ADMIN).count() == 1
    password_file = data_dir / "admin-password.txt"
    assert password_file.read_text().strip() == _password(first)
    assert password_file.stat().st_mode & 0o777 == 0o600


def test_createadmin_if_missing_names_an_existing_admin_without_inventing_a_password(
    db: Any, data_dir: Path, ada: Any
) -> None:
    output = _run("--if-missing")

    assert "username: ada" in output
    assert "changepassword ada" in output
    assert not User.objects.filter(username="admin").exists()


def test_remembered_password_is_forgotten_once_the_admin_changes_it(db: Any, data_dir: Path) -> None:
    _run("--if-missing")
    admin = User.objects.get(username="admin")
    admin.set_password("a new and private passphrase")
    admin.save()

    output = _run("--if-missing")

    assert "changepassword admin" in output
    assert "a new and private passphrase" not in output
    assert not (data_dir / "admin-password.txt").exists()


def test_createadmin_if_missing_is_silent_at_verbosity_zero(db: Any, data_dir: Path) -> None:
    assert _run("--if-missing", "--verbosity", "0") == ""
    assert User.objects.filter(username="admin").exists()
