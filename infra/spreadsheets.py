"""The rules every StepWise import and export follows (SECURITY.md, "Exports and imports"):
`SpreadsheetSafeResource` and `SpreadsheetSafeCSV` neutralise every cell a spreadsheet would run
as a formula, `SpreadsheetSafeText` round-trips text, and `ImportTempStorage` keeps an uploaded
file under a random name that the confirmation must repeat exactly."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from uuid import uuid4

from django.core.exceptions import SuspiciousFileOperation
from import_export import resources, widgets
from import_export.formats import base_formats
from import_export.tmp_storages import BaseStorage

# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value a spreadsheet will show as text: one starting with a formula character gets
    a leading apostrophe. Anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def unneutralise(text: str) -> str:
    """The reverse on import: one apostrophe before a formula character is dropped."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SpreadsheetSafeResource(resources.ModelResource):
    """A resource whose every exported cell, whatever its field or widget, is neutralised."""

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields, **kwargs)
        return [neutralise(value) for value in row]


class SpreadsheetSafeCSV(base_formats.CSV):
    """CSV whose cells are neutralised once more as the file is written: the last step of every
    admin export, whichever resource produced the rows."""

    def export_data(self, dataset, **kwargs):
        safe = dataset.__class__(headers=[neutralise(h) for h in dataset.headers or []])
        for row in dataset:
            safe.append([neutralise(value) for value in row])
        return super().export_data(safe, **kwargs)


class ImportTempStorage(BaseStorage):
    """Where an uploaded import file waits between the preview and its confirmation.

    django-import-export's default keeps it in the server's temp folder under the name the
    confirmation form posts back, so a forged confirmation could read (and then delete) any file
    there. Here files live in a folder of their own (mode 0700), under a random name of 32 hex
    digits chosen by the server; a name of any other shape is refused before anything is opened,
    and files left unconfirmed are removed after a day.
    """

    FOLDER = "stepwise-imports"
    NAME = re.compile(r"[0-9a-f]{32}")
    MAX_AGE = 24 * 60 * 60

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.name is not None and not self.NAME.fullmatch(str(self.name)):
            raise SuspiciousFileOperation("An import file name must be one the server chose.")

    @classmethod
    def folder(cls) -> str:
        path = os.path.join(tempfile.gettempdir(), cls.FOLDER)
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def _path(self) -> str:
        return os.path.join(self.folder(), self.name)

    def save(self, data) -> None:
        self._prune()
        self.name = uuid4().hex
        mode = "wb" if isinstance(data, bytes) else "w"
        fd = os.open(self._path(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, mode, encoding=None if "b" in mode else self.encoding) as file:
            file.write(data)

    def read(self):
        with open(self._path(), self.read_mode, encoding=self.encoding) as file:
            return file.read()

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path())

    @classmethod
    def _prune(cls) -> None:
        folder = cls.folder()
        cutoff = time.time() - cls.MAX_AGE
        for entry in os.scandir(folder):
            if cls.NAME.fullmatch(entry.name) and entry.stat().st_mtime < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path)


class SpreadsheetSafeText(widgets.CharWidget):
    """Text that a spreadsheet will not run as a formula, and that round-trips.

    On export a cell starting with a formula character gets a leading apostrophe (spreadsheets
    show it as plain text); on import that one apostrophe is removed again.
    """

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        return unneutralise((text or "").strip())

    def render(self, value, obj=None, **kwargs):
        return neutralise("" if value is None else str(value))
