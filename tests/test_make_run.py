"""`make run` on a bare machine: every migration applies to a fresh SQLite file and the demo seeds;
a port already taken stops it in one sentence before anything is installed or written.

SQLite rebuilds a table to add a field or a constraint, which trips the page-revision triggers
unless a migration takes them off first (recovery migration 0005): a migration that forgets
passes every PostgreSQL test and breaks the README's first command. Run as `make run` runs it,
in a child process with the SQLite default."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support import manage

ROOT = Path(__file__).resolve().parents[1]


def test_migrate_and_seed_demo_on_a_fresh_sqlite_file(tmp_path):
    database = tmp_path / "db.sqlite3"
    migrated = manage("migrate", "--noinput", database=database)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    seeded = manage("seed_demo", database=database)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert "Demo ready." in seeded.stdout
    again = manage("seed_demo", database=database)  # `make run` twice keeps working
    assert again.returncode == 0, again.stderr[-3000:]


def test_make_run_on_a_taken_port_says_so_before_installing_or_migrating():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    said = result.stderr.strip().splitlines()[0]
    assert said == (
        f"Port {port} on 127.0.0.1 is already in use (is StepWise already running?); "
        f"choose another with `make run PORT={port + 1}`."
    )
    # Make echoes each command it starts: nothing was installed, migrated or seeded.
    for step in ("pip", "npm", "migrate", "seed_demo", "runserver"):
        assert step not in result.stdout


def test_make_run_on_a_free_port_passes_the_check():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        ["make", "--no-print-directory", "check-port", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""
