"""How every ``dsr`` command finds its instance (``--db``, ``DSR_DB``, ``DSR_HOME``,
``./instance``) and what read-only commands do when there is none (issue 21, item 5;
dsr_app/cli/options.py, config.locate_instance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_app.cli import cli
from dsr_app.signing import KEY_FILE, public_key_b64


def dsr(cli_runner, *args):
    """``dsr ARGS`` as given: no ``--db`` added (the ``run`` fixture adds one)."""
    return cli_runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def add_staff(cli_runner, *args):
    """``dsr staff add`` (a command that sets an instance up)."""
    return cli_runner.invoke(
        cli,
        ["staff", "add", "legal@example.org", "--role", "legal", "--password-stdin"]
        + [str(a) for a in args],
        input="a long enough password\n",
        catch_exceptions=False,
    )


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_instance_from_db_option_run_from_another_folder(
    cli_runner, tmp_path, elsewhere
):
    store = tmp_path / "home" / "dsr.sqlite3"
    assert add_staff(cli_runner, "--db", store).exit_code == 0
    key = dsr(cli_runner, "keys", "public", "--db", store)
    assert key.exit_code == 0
    assert key.output.strip() == public_key_b64(store.parent)
    assert files_under(elsewhere) == set()


def test_instance_from_dsr_db(cli_runner, tmp_path, elsewhere, monkeypatch):
    store = tmp_path / "home" / "dsr.sqlite3"
    monkeypatch.setenv("DSR_DB", str(store))
    monkeypatch.setenv("DSR_HOME", str(tmp_path / "not-this-one"))
    assert add_staff(cli_runner).exit_code == 0
    assert store.is_file()
    key = dsr(cli_runner, "keys", "public")
    assert key.output.strip() == public_key_b64(store.parent)
    assert not (tmp_path / "not-this-one").exists()
    assert files_under(elsewhere) == set()


def test_instance_from_dsr_home_holds_the_store_and_the_keys(
    cli_runner, tmp_path, elsewhere, monkeypatch
):
    home = tmp_path / "home"
    monkeypatch.setenv("DSR_HOME", str(home))
    assert add_staff(cli_runner).exit_code == 0
    key = dsr(cli_runner, "keys", "public")
    assert key.exit_code == 0, key.output
    assert (home / "dsr.sqlite3").is_file() and (home / KEY_FILE).is_file()
    assert key.output.strip() == public_key_b64(home)
    assert dsr(cli_runner, "audit", "verify").exit_code == 0
    assert files_under(elsewhere) == set()


def test_db_option_wins_over_dsr_db_and_dsr_home(
    cli_runner, tmp_path, elsewhere, monkeypatch
):
    monkeypatch.setenv("DSR_DB", str(tmp_path / "env" / "dsr.sqlite3"))
    monkeypatch.setenv("DSR_HOME", str(tmp_path / "home"))
    store = tmp_path / "option" / "dsr.sqlite3"
    assert add_staff(cli_runner, "--db", store).exit_code == 0
    assert store.is_file()
    assert not (tmp_path / "env").exists() and not (tmp_path / "home").exists()


def test_instance_folder_keeps_dsr_instance_dir_for_the_keys(
    cli_runner, tmp_path, elsewhere, monkeypatch
):
    home, keys = tmp_path / "home", tmp_path / "keys"
    monkeypatch.setenv("DSR_HOME", str(home))
    monkeypatch.setenv("DSR_INSTANCE_DIR", str(keys))
    assert add_staff(cli_runner).exit_code == 0
    key = dsr(cli_runner, "keys", "public")
    assert key.output.strip() == public_key_b64(keys)
    assert (keys / KEY_FILE).is_file() and not (home / KEY_FILE).exists()


def test_default_instance_is_the_working_folders_instance(cli_runner, elsewhere):
    assert add_staff(cli_runner).exit_code == 0
    assert (elsewhere / "instance" / "dsr.sqlite3").is_file()
    key = dsr(cli_runner, "keys", "public")
    assert key.output.strip() == public_key_b64(elsewhere / "instance")


# Commands that only read (or change what exists) on a missing store: exit 2 naming
# the path looked at, and nothing created (issue 21, item 5).
READ_ONLY = [
    ("outbox",),
    ("outbox", "--json"),
    ("audit", "verify"),
    ("audit", "anchor"),
    ("keys", "public"),
    ("runs", "list"),
    ("runs", "update", "1", "--status", "training"),
    ("report",),
    ("staff", "tokens", "legal@example.org"),
    ("staff", "token", "legal@example.org"),
    ("staff", "revoke", "legal@example.org"),
    ("gate", "check", "--dataset", "tiny", "--version", "1"),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_command_on_a_missing_store_exits_2_and_creates_nothing(
    cli_runner, tmp_path, elsewhere, command
):
    before = files_under(tmp_path)
    result = dsr(cli_runner, *command)
    assert result.exit_code == 2, result.output
    looked_at = elsewhere / "instance" / "dsr.sqlite3"
    assert result.stderr == (
        f"Error: no store at {looked_at} (the default ./instance; give --db, or set"
        " DSR_DB or DSR_HOME)\n"
    )
    assert result.stdout == ""
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("chosen_by", ["--db", "DSR_DB", "DSR_HOME"])
def test_refusal_names_the_path_and_what_chose_it(
    cli_runner, tmp_path, elsewhere, monkeypatch, chosen_by
):
    home = tmp_path / "gone"
    args = ("outbox",)
    if chosen_by == "--db":
        args += ("--db", home / "dsr.sqlite3")
    else:
        value = home if chosen_by == "DSR_HOME" else home / "dsr.sqlite3"
        monkeypatch.setenv(chosen_by, str(value))
    result = dsr(cli_runner, *args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: no store at {home / 'dsr.sqlite3'} (from {chosen_by})\n"
    )
    assert not home.exists()
