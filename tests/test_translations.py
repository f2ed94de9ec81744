"""StepWise in Spanish (DESIGN section 10): the catalogue, the language a page and an e-mail are
in, and the switch.

The compiled catalogue (locale/es/LC_MESSAGES/django.mo) is committed, so `make run` needs no GNU
gettext: these tests prove it is the .po compiled, that every placeholder of a message is kept
in its translation (a lost "%(minutes)s" would be a server error on the page), and, where GNU
gettext is installed (CI installs it), that msgfmt's own checks pass.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

from recovery.models import AuditEvent, Language
from tests.conftest import unavailable
from tests.support import signed_in, text, url

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_the_committed_mo_is_the_po_compiled():
    """What Django reads at run time is exactly what the .po says (recompile after editing:
    `.venv/bin/python manage.py compilemessages -l es`)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in catalogue().translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for n, form in entry.msgstr_plural.items():
                expected[(key, int(n))] = form
        else:
            expected[key] = entry.msgstr
    compiled.pop("", None)  # the header
    assert compiled == expected


def test_every_translation_keeps_its_messages_placeholders():
    wrong = []
    for entry in catalogue().translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != wanted:
                wrong.append(f"{entry.msgid!r} → {form!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_every_message_has_a_spanish_translation_and_none_is_fuzzy():
    """Every message the project shows has its Spanish (issue 23): none left empty, none marked
    fuzzy (a guess makemessages made from a similar English sentence, not a translation)."""
    po = catalogue()
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [], "no Spanish yet:\n" + "\n".join(untranslated)
    assert fuzzy == [], "fuzzy (check and clear the flag):\n" + "\n".join(fuzzy)


def test_msgfmt_accepts_the_catalogue(tmp_path):
    if shutil.which("msgfmt") is None:
        unavailable("GNU gettext (msgfmt) is not installed")
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- which language ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_out_page_follows_the_browser_then_the_switch():
    client = Client()
    page = client.get(url("login"), headers={"accept-language": "es-US,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in page.content.decode()
    assert "Read this site in English" in text(page)  # the switch offers the other language
    english = client.post(url("language"), {"language": "en", "next": url("login")})
    assert english.status_code == 302 and english["Location"] == url("login")
    page = client.get(url("login"), headers={"accept-language": "es"})
    assert '<html lang="en">' in page.content.decode()  # the visible choice wins
    assert "Ver este sitio en español" in text(page)


@pytest.mark.django_db
def test_the_switch_goes_back_only_to_this_sites_pages():
    response = Client().post(url("language"), {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert Client().post(url("language"), {"language": "fr"}).status_code == 400


@pytest.mark.django_db
def test_a_signed_in_patient_reads_their_accounts_language_whatever_the_browser(ana):
    client = signed_in(ana)
    page = client.get(url("me:settings"), headers={"accept-language": "es"})
    assert '<html lang="en">' in page.content.decode()
    client.post(url("language"), {"language": "es", "next": url("me:settings")})
    ana.user.refresh_from_db()
    assert ana.user.language == Language.SPANISH
    assert AuditEvent.objects.filter(action="language_change", actor=ana.user).exists()
    page = client.get(url("me:settings"), headers={"accept-language": "en"})
    assert '<html lang="es">' in page.content.decode()
    assert 'id="language-es" checked' in page.content.decode()


@pytest.mark.django_db
def test_the_clinician_chooses_the_patients_language_at_enrolment(dr_cho, settings):
    from datetime import timedelta

    from recovery.models import TreatmentType, User
    from tests.support import patients_today

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = signed_in(dr_cho).post(
        url("clinic:enrol"),
        {
            "first_name": "Lucía",
            "last_name": "Ramos",
            "email": "lucia@example.org",
            "treatment_type": TreatmentType.objects.filter(active=True).first().pk,
            "procedure_date": (patients_today() - timedelta(days=40)).isoformat(),
            "timezone": "America/New_York",
            "date_of_birth": "1961-04-23",
            "phone": "(555) 010-2030",
            "language": "es",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="lucia@example.org").language == Language.SPANISH


def test_an_email_is_built_in_the_recipients_language_not_the_senders():
    from plans.emails import reminder_email

    with translation.override("en"):  # a clinician's request, or a worker, speaking English
        message = reminder_email(
            first_name="Lucía",
            email="lucia@example.org",
            week=3,
            minutes=20,
            sessions_per_week=3,
            log_link="https://stepwise.example/me/sessions/new/",
            opt_out_link="https://stepwise.example/reminders/x/",
            language="es",
        )
        assert translation.get_language() == "en"  # the sender's language is left as it was
    assert message.subject == "Su plan de StepWise para la semana 3"
    assert '<html lang="es">' in message.alternatives[0][0]
