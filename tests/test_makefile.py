"""The Makefile's housekeeping: `make lint` is what CI lints with, and `make clean` takes away
everything the build, the suite and the benchmarks make (all that git ignores, but the
developer's own .env) and nothing that is committed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each .gitignore line, with a path that the build, the suite or a benchmark makes under it.
MADE = {
    ".venv": ".venv/bin/python",
    "node_modules": "node_modules/bootstrap/dist/css/bootstrap.min.css",
    "staticfiles/": "staticfiles/css/app.css",
    "db.sqlite3": "db.sqlite3",
    # Pictures uploaded on `make run`: they belong to db.sqlite3's rows and go with them.
    "media/": "media/exercises/1/0123456789abcdef.jpg",
    "*.pyc": "plans/__pycache__/demo.cpython-313.pyc",
    "__pycache__/": "tests/e2e/__pycache__/conftest.cpython-313-pytest-9.2.0.pyc",
    ".pytest_cache/": ".pytest_cache/v/cache/nodeids",
    ".ruff_cache/": ".ruff_cache/CACHEDIR.TAG",
    ".hypothesis/": ".hypothesis/examples/0a1b/2c3d",
    "benchmarks/results/*.tmp": "benchmarks/results/latest-large.md.tmp",
    "test-artifacts/": "test-artifacts/phone/symptom-new.png",
}
KEPT = {".env"}  # the developer's settings: make never writes it, so clean never removes it
COMMITTED = ["docs/img/clinic-triage.png", "benchmarks/results/latest-large.md", "plans/demo.py"]


def make(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_ignored_path_is_one_that_make_clean_is_checked_on():
    ignored = {
        line.strip()
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert ignored == set(MADE) | KEPT


def test_make_clean_removes_what_was_made_and_keeps_what_is_committed(tmp_path):
    for name in ("Makefile", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for path in [*MADE.values(), *KEPT, *COMMITTED]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("made")

    result = make("clean", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    left = [path for path in MADE.values() if (tmp_path / path).exists()]
    assert left == []
    for folder in ("test-artifacts", ".hypothesis", "staticfiles", "plans/__pycache__"):
        assert not (tmp_path / folder).exists(), folder
    for path in [*KEPT, *COMMITTED]:
        assert (tmp_path / path).read_text() == "made", path


def test_ci_lints_with_make_lint_and_make_lint_runs_every_check():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake lint\n" in ci
    for tool in ("ruff", "bandit", "makemigrations", "manage.py check"):
        assert tool not in ci, f".ci/run runs {tool} itself instead of through make lint"
    planned = make("-n", "lint", cwd=ROOT)
    assert planned.returncode == 0, planned.stderr
    for step in (
        "ruff check .",
        "ruff format --check .",
        "manage.py makemigrations --check --dry-run",
        "manage.py check --fail-level WARNING",
        "bandit -q -r infra recovery plans stepwise -ll",
    ):
        assert step in planned.stdout, step
