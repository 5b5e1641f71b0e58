"""Files on disk (issue 16, findings 2 and 3): no secret leaves through a manifest
path, and the store, its keys and rejects files are their owner's alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dsr_app import config, create_app
from dsr_app.corpus.ingest import ingest, ingest_file
from dsr_app.corpus.manifests import Limits, manifest_files
from dsr_app.db import open_db
from dsr_app.errors import BadInput
from tests.conftest import RECORDS_JSONL, free_port, new_request
from tests.security.helpers import write_jsonl

GOOD = {"record_id": "r-1", "dataset": "d", "text": "hello"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def usual_umask():
    """A shell's usual umask (022) for the test, the process's own restored after:
    what dsr creates must be private whatever it starts with."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.fixture
def instance(tmp_path, run) -> Path:
    """The attack's layout: ``instance/`` with the store and the signing key, and
    a ``drop/`` folder beside it with one good manifest."""
    folder = tmp_path / "instance"
    open_db(folder / "dsr.sqlite3").close()  # `dsr keys public` needs an instance
    result = run("keys", "public", "--db", folder / "dsr.sqlite3", db=False)
    assert result.exit_code == 0, result.output
    assert (folder / "removal_signing_key.pem").is_file()
    (tmp_path / "drop").mkdir()
    write_jsonl(tmp_path / "drop" / "a.jsonl", [GOOD])
    return folder


def ingest_cli(run, instance: Path, *args) -> object:
    return run("ingest", *args, "--db", instance / "dsr.sqlite3", db=False)


def files_holding(root: Path, secret: bytes, but: Path) -> list[Path]:
    """Every regular file under ``root`` that holds ``secret``, but ``but`` (under
    any of its names)."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and not p.samefile(but)
        and secret in p.read_bytes()
    ]


def stored_records(instance: Path) -> int:
    db = open_db(instance / "dsr.sqlite3")
    try:
        return db.execute("SELECT count(*) FROM records").fetchone()[0]
    finally:
        db.close()


# --- Finding 2: a manifest path cannot exfiltrate a file --------------------------


@pytest.mark.parametrize("given", ["drop", "drop/b.jsonl"])
def test_symlink_to_the_signing_key_is_refused_and_the_key_copied_nowhere(
    run, tmp_path, instance, given
):
    """``ln -s instance/removal_signing_key.pem drop/b.jsonl; dsr ingest drop
    --skip-invalid`` copied the private key into drop/b.jsonl.rejects.jsonl."""
    key = instance / "removal_signing_key.pem"
    (tmp_path / "drop" / "b.jsonl").symlink_to(Path("..") / "instance" / key.name)

    result = ingest_cli(run, instance, tmp_path / given, "--skip-invalid")

    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'drop' / 'b.jsonl'}: is a symbolic link" in result.output
    assert "Traceback" not in result.output
    secret = key.read_bytes()
    body = b"".join(secret.splitlines()[1:-1])  # the base64 of the key itself
    assert files_holding(tmp_path, body, but=key) == []
    assert not (tmp_path / "drop" / "b.jsonl.rejects.jsonl").exists()
    assert stored_records(instance) == 0  # refused before anything was read


def test_symlinked_sub_folder_in_a_manifest_folder_is_refused(run, tmp_path, instance):
    """A link to a folder inside the manifest folder would read files elsewhere
    (another tenant's data, or the instance folder)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_jsonl(elsewhere / "theirs.jsonl", [{**GOOD, "record_id": "theirs"}])
    (tmp_path / "drop" / "sub").symlink_to(elsewhere, target_is_directory=True)

    result = ingest_cli(run, instance, tmp_path / "drop", "--skip-invalid")

    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'drop' / 'sub'}: is a symbolic link" in result.output
    assert stored_records(instance) == 0


def test_hard_link_to_the_signing_key_is_refused(run, tmp_path, instance):
    """Another name for a file of the instance folder is refused, link or not."""
    key = instance / "removal_signing_key.pem"
    os.link(key, tmp_path / "drop" / "c.jsonl")

    result = ingest_cli(run, instance, tmp_path / "drop", "--skip-invalid")

    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'drop' / 'c.jsonl'}: is a file of the instance" in (
        result.output
    )
    body = b"".join(key.read_bytes().splitlines()[1:-1])
    assert files_holding(tmp_path, body, but=key) == []
    assert not (tmp_path / "drop" / "c.jsonl.rejects.jsonl").exists()


def test_sub_folder_swapped_for_a_link_to_the_instance_after_the_scan_is_refused(
    tmp_path, instance
):
    """O_NOFOLLOW guards only the last part of a path: a sub-folder replaced by a
    link to the instance folder between the listing and the read had ingest copy
    a key (here under a manifest's name) into a rejects file."""
    key = instance / "removal_signing_key.pem"
    sub = tmp_path / "drop" / "sub"
    sub.mkdir()
    write_jsonl(sub / "x.jsonl", [GOOD])
    db = open_db(instance / "dsr.sqlite3")
    try:
        listed = manifest_files(
            [tmp_path / "drop"], config.secret_folders(instance / "dsr.sqlite3")
        )
        assert sub / "x.jsonl" in listed
        (sub / "x.jsonl").unlink()
        sub.rmdir()
        sub.symlink_to(instance, target_is_directory=True)
        os.link(key, instance / "x.jsonl")

        with pytest.raises(BadInput) as refused:
            ingest_file(
                db, sub / "x.jsonl", None, "v1", True, Limits(), None, 5000, None
            )
    finally:
        db.close()

    assert refused.value.field == str(sub / "x.jsonl")
    assert "instance folder" in refused.value.reason
    body = b"".join(key.read_bytes().splitlines()[1:-1])
    assert files_holding(tmp_path, body, but=key) == []
    assert stored_records(instance) == 0


@pytest.mark.parametrize("split", [False, True], ids=["file", "byte range"])
def test_sweep_piece_of_a_folder_swapped_for_a_link_to_the_instance_is_refused(
    tmp_path, instance, split
):
    """The sweep's pieces name the store's folders (plan), so its readers, forked
    or on Spark's executors, refuse the instance's files as ingest does."""
    from dsr_app.matching.sweep_input import part_records, plan

    sub = tmp_path / "drop" / "sub"
    sub.mkdir()
    write_jsonl(sub / "x.jsonl", [GOOD])
    store = instance / "dsr.sqlite3"
    parts = plan(str(store), [sub / "x.jsonl"], None, "v1", 1)
    if split:
        parts = [("range", parts[0][1], 0, 10**6, *parts[0][2:])]
    (sub / "x.jsonl").unlink()
    sub.rmdir()
    sub.symlink_to(instance, target_is_directory=True)
    os.link(instance / "removal_signing_key.pem", instance / "x.jsonl")

    with pytest.raises(BadInput) as refused:
        list(part_records(parts[0]))
    assert "instance folder" in refused.value.reason


def test_removal_input_in_a_folder_swapped_for_a_link_to_the_instance_is_refused(
    tmp_path, instance
):
    """``dsr removals apply`` keeps every line it cannot read as a record: a key
    read through a swapped folder would be copied into OUT. The targets carry the
    protected folders to every reader (forked workers and Spark's too)."""
    from dsr_app.removal.apply import apply
    from dsr_app.removal.targets import Targets

    sub = tmp_path / "drop" / "sub"
    sub.mkdir()
    write_jsonl(sub / "x.jsonl", [GOOD])
    (sub / "x.jsonl").unlink()
    sub.rmdir()
    sub.symlink_to(instance, target_is_directory=True)
    os.link(instance / "removal_signing_key.pem", instance / "x.jsonl")
    store = instance / "dsr.sqlite3"
    targets = Targets(protected=tuple(map(str, config.secret_folders(store))))

    with pytest.raises(BadInput) as refused:
        apply(sub / "x.jsonl", tmp_path / "out.jsonl", targets)
    assert "instance folder" in refused.value.reason
    assert not (tmp_path / "out.jsonl").exists()


def test_folder_that_holds_the_instance_folder_is_refused(run, tmp_path, instance):
    """``dsr ingest .`` above ``instance/`` would read whatever sits there."""
    write_jsonl(instance / "notes.jsonl", [{**GOOD, "record_id": "notes"}])

    result = ingest_cli(run, instance, tmp_path, "--skip-invalid")

    assert result.exit_code == 2, result.output
    assert f"{instance}: is the instance folder" in result.output
    assert stored_records(instance) == 0


@pytest.mark.parametrize(
    "planted", ["b.jsonl.rejects.jsonl", "b.jsonl.rejects.jsonl.part"]
)
def test_symlink_planted_at_the_rejects_path_is_never_written_through(
    run, tmp_path, instance, planted
):
    """A link where ingest writes rejects (or wrote them while it ran) would have
    it overwrite the file the link points to."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    drop = tmp_path / "drop"
    write_jsonl(drop / "b.jsonl", [GOOD | {"record_id": "r-2"}, {"text": 1}])
    (drop / planted).symlink_to(victim)

    result = ingest_cli(run, instance, drop / "b.jsonl", "--skip-invalid")

    assert victim.read_text() == "precious\n"
    if planted.endswith(".part"):  # no longer a name ingest writes to
        assert result.exit_code == 0, result.output
        assert mode(drop / "b.jsonl.rejects.jsonl") == 0o600
    else:
        assert result.exit_code == 2, result.output
        assert f"{drop / planted}: is a symbolic link" in result.output
        assert stored_records(instance) == 0
    assert (drop / planted).is_symlink()


def test_rejects_file_is_mode_0600_whatever_the_umask(tmp_path, usual_umask):
    """Rejected lines are personal data: only the owner may read them."""
    manifest = write_jsonl(tmp_path / "m.jsonl", [GOOD, {"record_id": "x"}])
    db = open_db(tmp_path / "store" / "dsr.sqlite3")
    try:
        report = ingest(db, [manifest], skip_invalid=True)
    finally:
        db.close()
    assert report.rejects == 1
    assert mode(tmp_path / "m.jsonl.rejects.jsonl") == 0o600


# --- Finding 3: the store is its owner's alone -------------------------------------


def test_store_is_created_0600_whatever_the_umask(tmp_path, usual_umask):
    """The test suite's stores too: open_db makes the file 0600 before SQLite does,
    and SQLite gives the -wal and -shm its mode."""
    db = open_db(tmp_path / "new" / "dsr.sqlite3")
    try:
        db["t"].insert({"a": 1})
        files = sorted((tmp_path / "new").iterdir())
        assert [p.name for p in files] == [
            "dsr.sqlite3",
            "dsr.sqlite3-shm",
            "dsr.sqlite3-wal",
        ]
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert mode(tmp_path / "new") == 0o700
    finally:
        db.close()


def test_fresh_instance_is_0700_with_every_file_0600(tmp_path, usual_umask, run):
    """After a serve-like start (create_app, a request, an ingest through the CLI,
    the signing key made), nothing in the instance is readable by others."""
    folder = tmp_path / "instance"
    db_path = folder / "dsr.sqlite3"
    app = create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0})
    api = app.test_client()
    api.environ_base["wsgi.url_scheme"] = "https"
    new_request(api)  # writes: the app's kept connection holds -wal and -shm
    result = run("ingest", RECORDS_JSONL, "--db", db_path, db=False)
    assert result.exit_code == 0, result.output
    assert run("keys", "public", "--db", db_path, db=False).exit_code == 0

    modes = {p.name: mode(p) for p in folder.iterdir()}
    assert {
        "dsr.sqlite3",
        "dsr.sqlite3-wal",
        "dsr.sqlite3-shm",
        "flask_secret_key",
        "removal_signing_key.pem",
    } <= set(modes)
    private = {p.name: 0o700 if p.is_dir() else 0o600 for p in folder.iterdir()}
    assert modes == private
    assert mode(folder) == 0o700


@pytest.fixture
def exposed_store(tmp_path) -> Path:
    """A store whose folder is 0755 and whose file is 0644, as they were."""
    db_path = tmp_path / "instance" / "dsr.sqlite3"
    open_db(db_path).close()
    db_path.chmod(0o644)
    db_path.parent.chmod(0o755)
    return db_path


def test_start_on_a_readable_store_warns_naming_each_path(exposed_store, capsys):
    create_app({"TESTING": True, "DB": str(exposed_store)})

    err = capsys.readouterr().err
    assert f"warning: {exposed_store} is mode 0644" in err
    assert f"warning: {exposed_store.parent} is mode 0755" in err


def test_strict_setting_refuses_to_start_on_a_readable_store(exposed_store, capsys):
    with pytest.raises(BadInput) as refused:
        create_app({"TESTING": True, "DB": str(exposed_store), "STRICT_FILE_MODES": 1})
    assert "refusing to start" in refused.value.message
    assert f"{exposed_store} is mode 0644" in capsys.readouterr().err
    assert not (exposed_store.parent / "flask_secret_key").exists()


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--strict"], {}), ([], {"DSR_STRICT_FILE_MODES": "1"})],
    ids=["--strict", "DSR_STRICT_FILE_MODES"],
)
def test_serve_strict_refuses_a_readable_store_with_exit_2(exposed_store, args, env):
    """A real ``dsr serve`` (it would serve forever if it started: the timeout is
    only a guard)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    done = subprocess.run(
        [sys.executable, "-m", "dsr_app", "serve", "--db", str(exposed_store)]
        + ["--port", str(free_port()), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert f"warning: {exposed_store} is mode 0644" in done.stderr
    assert "refusing to start" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Serving" not in done.stdout
