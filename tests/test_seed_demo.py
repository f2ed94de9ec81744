"""`seed_demo`, the demo clinic `make run` serves: one short summary naming every demo account,
no e-mail printed, the same database after a second run, and `--reset` giving the demo back as
new (lockouts lifted, whatever was clicked undone). DEBUG only.

The summary and the e-mails are what a person sees in the terminal, so those runs are child
processes on a SQLite file, as `make run` runs them; the reset runs here, where a lockout can be
made and checked through the sign-in form."""

from __future__ import annotations

import shutil
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client

from plans import services as plan_services
from plans.library import STARTER_EXERCISES
from plans.models import Alert, AlertOutcome, Exercise
from recovery.backends import record_failure, seconds_paused
from recovery.models import PatientProfile, User
from tests import support
from tests.conftest import make_patient
from tests.support import manage

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "stepwise-demo"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("seed_demo") / "migrated.sqlite3"
    result = manage("migrate", "--noinput", database=database)
    assert result.returncode == 0, result.stderr[-3000:]
    return database


@pytest.fixture
def database(migrated, tmp_path) -> Path:
    """A freshly migrated SQLite file of this test's own."""
    return Path(shutil.copyfile(migrated, tmp_path / "db.sqlite3"))


def rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def test_the_summary_names_every_demo_account_and_no_email_is_printed(database):
    seeded = manage("seed_demo", database=database, SITE_URL="http://127.0.0.1:8123")
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    usernames = {name for (name,) in rows(database, "SELECT username FROM recovery_user")}
    assert len(usernames) >= 8
    heading, *lines = seeded.stdout.splitlines()
    assert heading.startswith("Demo ready. Open http://127.0.0.1:8123/ ")
    assert DEMO_PASSWORD in heading
    # One line per account, each naming the account and what it is there to show.
    assert sorted(line.split()[0] for line in lines) == sorted(usernames)
    assert all(len(line.split(",", 1)[1].strip()) > 10 for line in lines)
    assert ":8000" not in seeded.stdout

    # The demo's alerts were e-mailed (they are not left for the beat to send), but not here.
    sent = rows(database, "SELECT email_sent_at FROM plans_alert")
    assert sent and all(at is not None for (at,) in sent)
    terminal = seeded.stdout + seeded.stderr
    for header in ("Subject:", "MIME-Version", "Content-Type", "clinician@stepwise.example"):
        assert header not in terminal
    assert " INFO " not in seeded.stderr


def counts_in(database: Path) -> dict[str, int]:
    tables = rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {
        name: rows(database, f'SELECT count(*) FROM "{name}"')[0][0]  # noqa: S608 (SQLite's own names)
        for (name,) in tables
    }


def dump(database: Path) -> list[str]:
    """Every row of every table, as SQL. Not SQLite's AUTOINCREMENT counters: a many-to-many
    `add` of a pair that exists is an INSERT OR IGNORE, which moves the counter and nothing else."""
    with sqlite3.connect(database) as connection:
        return [
            line
            for line in connection.iterdump()
            if not line.startswith('INSERT INTO "sqlite_sequence"')
        ]


def test_seeding_again_changes_nothing(database):
    first = manage("seed_demo", database=database)
    assert first.returncode == 0, first.stderr[-3000:]
    counts, before = counts_in(database), dump(database)
    again = manage("seed_demo", database=database)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout == first.stdout
    assert counts_in(database) == counts  # the same number of rows in every table ...
    assert dump(database) == before  # ... and the same rows


def counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_reset_lifts_lockouts_and_undoes_what_was_clicked(transactional_db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    seeded = counts()
    clinician = User.objects.get(username="clinician")

    # Clicking around: an alert closed, a session logged, a patient enrolled, an exercise renamed.
    alert = Alert.objects.get(patient__user__username="hector")
    plan_services.alert_acknowledge(
        alert=alert, actor=clinician, outcome=AlertOutcome.SPOKE_ADVISED
    )
    ana = PatientProfile.objects.get(user__username="patient")
    today = plan_services.patient_today(ana)
    plan_services.session_log_create(patient=ana, day=today, activity="walking", minutes=5)
    make_patient("zed", "Zed", clinician, treatment="Laminectomy", procedure_date=today)
    Exercise.objects.filter(pk=Exercise.objects.first().pk).update(name="Renamed by staff")
    # ... and locked out: five wrong passwords from one address (django-axes), and 20 from
    # anywhere for the clinician (the account-wide pause).
    for n in range(5):
        support.sign_in(Client(), "patient", f"wrong-{n}")
    assert support.sign_in(Client(), "patient", DEMO_PASSWORD).status_code == 429
    for _ in range(20):
        record_failure("clinician")
    assert seconds_paused("clinician") > 0

    out = StringIO()
    call_command("seed_demo", "--reset", stdout=out)

    assert "Demo ready" in out.getvalue()
    assert counts() == seeded
    assert Alert.objects.get(patient__user__username="hector").acknowledged_at is None
    assert not User.objects.filter(first_name="Zed").exists()
    assert set(Exercise.objects.values_list("name", flat=True)) == {
        name for name, *_ in STARTER_EXERCISES
    }
    assert not AccessAttempt.objects.filter(username="patient").exists()
    assert seconds_paused("clinician") == 0
    assert support.sign_in(Client(), "patient", DEMO_PASSWORD).status_code == 302


def test_it_refuses_with_debug_off_and_reset_even_with_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="DEBUG only"):
        call_command("seed_demo", "--reset", "--force", stdout=StringIO())
    assert not User.objects.filter(username="patient").exists()


def test_the_demo_shows_outcomes_at_baseline_and_two_follow_ups(db):
    """A new user sees the Outcomes card filled in (Rosa, four months after a fusion) and a
    questionnaire waiting on the demo patient's /me/ (Ana)."""
    from outcomes.selectors import record_outcomes, waiting_questionnaire
    from plans.demo import seed

    today = support.patients_today()
    seed(today)
    rosa = PatientProfile.objects.get(user__username="rosa")
    outcomes = {o.instrument.code: o for o in record_outcomes(rosa)}
    assert [s.visit for s in outcomes["pain"].scores] == ["baseline", "week_6", "month_3"]
    assert [s.visit for s in outcomes["psfs"].scores] == ["baseline", "week_6", "month_3"]
    assert outcomes["pain"].change.verdict == "better"
    assert outcomes["psfs"].change.verdict == "better"
    assert [s.words for s in outcomes["pgic"].scores] == ["A little better", "Much better"]
    assert all(not o.missed for o in outcomes.values())
    ana = PatientProfile.objects.get(user__username="patient")
    assert waiting_questionnaire(ana, today) is not None
