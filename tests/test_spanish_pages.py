"""Every page a patient, a clinician or a signed-out visitor can open, read in Spanish, holds no
English sentence (issue 23): each page is drawn twice, for the same person in English and in
Spanish, and a sentence that comes out the same in both is text nobody marked for translation, or
a message the catalogue has not translated yet.

What may read the same in both languages is data, not the project's words: names, e-mail
addresses, what staff wrote in the exercise library and the treatment types, numbers and dates,
"StepWise" and "911", and each language's own name on the switch. The starter exercise library
StepWise ships is the project's words, not data: its names, instructions and cautions must come
out in Spanish (plans.library.exercise_text), so the world here holds it too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.test import Client

from plans.demo import load_library
from plans.library import STARTER_EXERCISES
from plans.models import Alert, Exercise, ExerciseImage, Plan, SessionExercise, SessionLog
from recovery.models import Clearance, TreatmentType, User, timezone_choices_grouped
from tests.support import kwargs_for, routes, url_for

pytestmark = pytest.mark.django_db

# Attributes whose text a person reads or hears.
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
SKIPPED_ELEMENTS = {"script", "style"}
SAME_IN_BOTH = {"StepWise", "English", "Español", "Read this site in English"}
WORD = re.compile(r"[A-Za-z]{2,}")
# Words that are the same in both languages: "15 min × 3 = 45 min" reads the same in Spanish.
SAME_WORDS = {"min", "kg", "lb", "PSFS", "PGIC", "StepWise"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.found.append(data)


def sentences(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {" ".join(chunk.split()) for chunk in parser.found if chunk.strip()}


def data_words() -> set[str]:
    """What the people and staff of the test world wrote: shown as written in any language."""
    found = set(SAME_IN_BOTH) | {settings.CLINIC_NAME}
    for user in User.objects.all():
        found |= {user.first_name, user.last_name, user.get_full_name(), user.username, user.email}
    # What staff wrote in the library is data; a starter text StepWise ships is not.
    shipped = {text for starter in STARTER_EXERCISES for text in starter_texts(starter)}
    for exercise in Exercise.objects.all():
        found |= {exercise.name, exercise.instructions, exercise.cautions} - shipped
    found |= set(TreatmentType.objects.values_list("name", flat=True))
    # An exercise picture's alt text is written by staff in the library, like its instructions.
    found |= set(ExerciseImage.objects.values_list("alt_text", flat=True))
    # What patients and clinicians typed: session notes (a symptom report has no free text),
    # restrictions, reasons.
    found |= set(SessionLog.with_deleted.values_list("notes", flat=True))
    found |= set(Alert.objects.values_list("outcome_note", flat=True))
    for clearance in Clearance.objects.all():
        found |= {clearance.restrictions, clearance.override_reason}
    found |= set(Plan.objects.values_list("stage_override_reason", flat=True))
    # Time zones are named by their cities, as the IANA database names them.
    found |= {label for _, options in timezone_choices_grouped() for _, label in options}
    return {value for value in found if value}


def starter_texts(starter) -> tuple[str, str, str]:
    return starter.name, starter.instructions, starter.cautions


def with_starter_library(ana_plan) -> None:
    """The starter library beside the world's own staff-written exercises, and one of its
    exercises ticked in Ana's last session (the record's adherence names it)."""
    load_library()
    session = SessionLog.objects.filter(plan=ana_plan).latest("date")
    SessionExercise.objects.create(
        session_log=session, exercise=Exercise.objects.get(name="Pelvic tilts")
    )


def words(sentence: str) -> list[str]:
    return [word for word in WORD.findall(sentence) if word not in SAME_WORDS]


def is_data(sentence: str, data: set[str]) -> bool:
    if sentence in data or len(words(sentence)) < 2:
        return True
    stripped = sentence
    for value in sorted(data, key=len, reverse=True):
        stripped = stripped.replace(value, " ")
    return len(words(stripped)) < 2


PERSONAS = ("anonymous", "ana", "ben", "dr_cho", "dr_dev")


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_english_sentence_on_a_spanish_page(persona, world, ana_plan):
    with_starter_library(ana_plan)
    client = Client(raise_request_exception=False)
    data = data_words()
    leftovers: dict[str, set[str]] = {}
    for key, route in sorted(routes().items()):
        if key.startswith(("admin", "healthz", "language")) or not route.named:
            continue
        if key.startswith("reminders:") and persona != "ana":
            continue  # the opt-out page speaks the language of the patient it names: Ana's
        url = url_for(route, kwargs_for(route, world))
        drawn = {}
        for language in ("en", "es"):
            # Everyone reads this pass's language: what a clinician prints or downloads for a
            # patient is drawn in the PATIENT's language (it is handed to them), so the patients
            # of the test world speak the language of the pass too.
            User.objects.update(language=language)
            client.cookies = SimpleCookie()
            if persona in world.cookies:
                client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[persona]
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            response = client.get(url, follow=False)
            assert response.status_code < 500, f"{url} failed to draw in {language}"
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                break
            drawn[language] = sentences(response.content.decode())
        if len(drawn) < 2:
            continue
        same = {s for s in drawn["en"] & drawn["es"] if not is_data(s, data)}
        if same:
            leftovers[url] = same
    assert not leftovers, "English left on Spanish pages:\n" + "\n".join(
        f"{url}: {sorted(found)}" for url, found in leftovers.items()
    )
