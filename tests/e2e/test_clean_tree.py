"""`make test` leaves the work tree as it found it.

The browser tests photograph pages into test-artifacts/ (git-ignored); one of them used to copy
its picture over the README's committed docs/img/clinic-triage.png, so every run left a modified
file behind. Here that test runs as the suite runs it, in a child pytest, and `git status` must
say the same before and after (nothing at all on CI's fresh clone). `make screenshots` is the
one way to refresh the README's pictures.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHOTOGRAPHER = (
    "tests/e2e/test_clinic.py::test_red_flag_goes_to_the_top_of_triage_and_is_acknowledged"
)
PICTURE = ROOT / "test-artifacts" / "clinic-triage.png"


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def work_tree() -> dict[str, str]:
    """What `git status` lists (untracked files one by one), each with a digest of its content,
    so a file that was already changed and is changed again also shows."""
    listed = git("status", "--porcelain", "-z", "--untracked-files=all").stdout.split("\0")
    state = {}
    entries = iter(listed)
    for entry in entries:
        if not entry:
            continue
        if entry[0] in "RC":  # a rename or copy: the original path follows
            next(entries, None)
        path = ROOT / entry[3:]
        state[entry] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "not a file"
        )
    return state


def test_a_browser_test_that_takes_pictures_changes_nothing_git_tracks(chromium_path):
    if shutil.which("git") is None or git("rev-parse", "--is-inside-work-tree").returncode:
        pytest.skip("not a git checkout")
    before = work_tree()
    started = time.time()
    # The embedded defaults (SQLite in memory, no Redis), as `make test` runs on a bare machine:
    # the child must not share this run's PostgreSQL test database or Redis database.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PHOTOGRAPHER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert "1 passed" in child.stdout
    assert PICTURE.stat().st_mtime >= started, "the test took no picture"
    after = work_tree()
    assert after == before, {
        "appeared or changed": sorted(k for k in after if after[k] != before.get(k)),
        "went away": sorted(k for k in before if k not in after),
    }
