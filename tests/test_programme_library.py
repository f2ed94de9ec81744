"""The library's default dose (issue 22): the starter library, the data migration that fills it
on existing installs, and the admin's form and CSV import that show and check it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from plans.library import STARTER_EXERCISES
from plans.models import DOSE_LIMITS, Exercise
from plans.programme import dose_words
from tests.support import confirm, dry_run, exercise
from tests.test_admin import EXERCISES, exercise_form

DOSE_COLUMNS = ["default_sets", "default_reps", "default_hold_seconds", "default_times_per_day"]
HEADER = ["name", "category", "stage", "active", "instructions", "cautions"]


# --- the starter library -------------------------------------------------------------------------


@pytest.mark.parametrize("starter", STARTER_EXERCISES, ids=lambda s: s.name)
def test_every_starter_exercise_has_a_dose_that_fits_its_kind(starter):
    if starter.category == "cardio":
        # Dosed by the plan's minutes: no sets, repetitions or hold.
        assert (starter.sets, starter.reps, starter.hold_seconds) == (None, None, None)
    else:
        assert starter.sets and (starter.reps or starter.hold_seconds)
        # The numbers live in the dose, so a tailored dose never contradicts the instructions.
        assert not re.search(r"\d", starter.instructions), starter.instructions
    for part in ("sets", "reps", "hold_seconds", "times_per_day"):
        value = getattr(starter, part)
        low, high = DOSE_LIMITS[part]
        assert value is None or low <= value <= high
    assert dose_words(starter.sets, starter.reps, starter.hold_seconds, starter.times_per_day)


def test_pelvic_tilts_read_as_the_clinic_says_them():
    tilts = next(s for s in STARTER_EXERCISES if s.name == "Pelvic tilts")
    assert dose_words(tilts.sets, tilts.reps, tilts.hold_seconds, tilts.times_per_day) == (
        "10 repetitions, hold 5 seconds, 1 set, twice a day"
    )


# --- the data migration --------------------------------------------------------------------------


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_dose_only_where_staff_left_it():
    executor = migrate([("plans", "0016_home_programme")])
    old = executor.loader.project_state([("plans", "0016_home_programme")]).apps
    historical = old.get_model("plans", "Exercise")
    before_tilts = (
        "Lie on your back with knees bent and feet flat. Gently flatten the small of your back "
        "into the floor by tightening your stomach, hold for 5 seconds, then relax. "
        "Repeat 10 times."
    )
    historical.objects.create(
        name="pelvic tilts", category="core", stage=1, instructions=before_tilts
    )
    # Staff set their own dose and words for bridges: both stay.
    historical.objects.create(
        name="Gentle bridges",
        category="core",
        stage=1,
        instructions="Our own words.",
        default_sets=3,
        default_reps=5,
    )
    # Staff rewrote bird-dog's words but set no dose: the dose comes, the words stay.
    historical.objects.create(
        name="Bird-dog", category="core", stage=2, instructions="Reach out: 8 times."
    )
    historical.objects.create(name="Walking", category="cardio", stage=1, instructions="Walk.")
    historical.objects.create(name="Our own drill", category="core", stage=1, instructions="x")

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    rows = {
        e.name: (
            e.default_sets,
            e.default_reps,
            e.default_hold_seconds,
            e.default_times_per_day,
            e.instructions,
        )
        for e in Exercise.objects.all()
    }
    assert rows["pelvic tilts"][:4] == (1, 10, 5, 2)
    assert "Repeat 10 times" not in rows["pelvic tilts"][4]
    assert rows["pelvic tilts"][4].endswith("hold, then relax.")
    assert rows["Gentle bridges"] == (3, 5, None, 1, "Our own words.")
    assert rows["Bird-dog"] == (1, 8, 5, 1, "Reach out: 8 times.")
    assert rows["Walking"][:4] == (None, None, None, 1)
    assert rows["Our own drill"][:4] == (None, None, None, 1)

    # Reversible, as a no-op: going back keeps what the rows hold.
    migrate([("plans", "0016_home_programme")])
    assert old.get_model("plans", "Exercise").objects.get(name="pelvic tilts").default_reps == 10
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


# --- the admin -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_form_shows_and_checks_the_dose(staff):
    page = staff.get(f"{EXERCISES}add/").content.decode()
    assert "Default dose" in page and "Times a day" in page
    response = staff.post(
        f"{EXERCISES}add/", exercise_form(default_reps="51", default_times_per_day="0")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["default_reps"] == ["Repetitions: at most 50."]
    assert errors["default_times_per_day"] == ["Times a day: at least 1."]
    assert not Exercise.objects.exists()
    response = staff.post(
        f"{EXERCISES}add/",
        exercise_form(default_sets="2", default_reps="12", default_hold_seconds="3"),
    )
    assert response.status_code == 302
    saved = Exercise.objects.get()
    assert (saved.default_sets, saved.default_reps, saved.default_hold_seconds) == (2, 12, 3)
    preview = staff.get(f"{EXERCISES}{saved.pk}/change/").content.decode()
    assert "12 repetitions, hold 3 seconds, 2 sets, once a day" in preview


def upload(rows: list[list[str]], header=HEADER + DOSE_COLUMNS) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("library.csv", buffer.getvalue().encode(), content_type="text/csv")


@pytest.mark.django_db
def test_the_csv_imports_the_dose_and_names_a_bad_one(staff):
    bad = upload(
        [
            ["Pelvic tilt", "core", "1", "yes", "Tilt.", "", "1", "10", "5", "2"],
            ["Bridge", "core", "1", "yes", "Lift.", "", "0", "ten", "121", "9"],
        ]
    )
    response = dry_run(staff, bad)
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert set(result.invalid_rows[0].error_dict) == set(DOSE_COLUMNS)
    html = response.content.decode()
    assert "Sets must be a whole number from 1 to 10, or empty for none, not “0”." in html
    assert "Repetitions must be a whole number from 1 to 50" in html
    assert "Times a day must be a whole number from 1 to 6, not “9”." in html
    assert not Exercise.objects.exists()

    good = upload(
        [
            ["Pelvic tilt", "core", "1", "yes", "Tilt.", "", "1", "10", "5", "2"],
            ["Walking", "cardio", "1", "yes", "Walk.", "", "", "", "", ""],
        ]
    )
    confirm(staff, dry_run(staff, good))
    assert sorted(
        Exercise.objects.values_list(
            "name",
            "default_sets",
            "default_reps",
            "default_hold_seconds",
            "default_times_per_day",
        )
    ) == [("Pelvic tilt", 1, 10, 5, 2), ("Walking", None, None, None, 1)]


@pytest.mark.django_db
def test_a_file_without_dose_columns_keeps_the_dose(staff):
    exercise("Pelvic tilt", default_sets=1, default_reps=10, default_times_per_day=2)
    confirm(
        staff, dry_run(staff, upload([["Pelvic tilt", "core", "1", "yes", "New.", ""]], HEADER))
    )
    tilt = Exercise.objects.get()
    assert (tilt.instructions, tilt.default_reps, tilt.default_times_per_day) == ("New.", 10, 2)
