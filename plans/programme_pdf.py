"""The home programme as a PDF (DESIGN §9), drawn with ReportLab from the same read model as the
page (`plans.programme`): title, the patient's first name, the date, precautions, then each
exercise with its dose, instructions, cautions, the clinician's note and its pictures.

ReportLab installs from PyPI as wheels with no system libraries (unlike WeasyPrint, which needs
Pango), so `/me/programme.pdf` works on a bare machine. Pictures are the stored thumbnails, read
through Django's storage API, so S3-compatible storage works the same as the file system.

Its words go through gettext: the PDF is drawn in the active language. The views draw it inside
`translation.override(patient.user.language)`, so the sheet is in the patient's language even
when a clinician downloads it (it is handed to the patient).
"""

from __future__ import annotations

import io
import logging
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from plans.library import exercise_text
from plans.programme import Programme, ProgrammeLine

logger = logging.getLogger(__name__)

PICTURE_WIDTH = 45 * mm
# An A4 page (210 × 297 mm) whose 18 mm margins leave a 174 × 261 mm block of content: it fits
# inside US Letter (216 × 279 mm) too, so the file prints at actual size on either paper.
MARGIN = 18 * mm


def _DAY_MONTH_YEAR() -> str:
    return pgettext("date format: day, month and year", "j F Y")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=20, spaceAfter=4),
        "meta": ParagraphStyle("meta", parent=base["Normal"], textColor=colors.HexColor("#444")),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], spaceBefore=8, spaceAfter=2),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=11, leading=15),
        "dose": ParagraphStyle(
            "dose", parent=base["Normal"], fontSize=12, leading=16, fontName="Helvetica-Bold"
        ),
    }


def _text(value: str) -> str:
    """Paragraph markup of plain text: escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def _picture(image) -> Image | None:
    """The stored thumbnail as a flowable, or None when it cannot be read (the page still says
    what the picture shows: its alt text follows the exercise)."""
    try:
        with image.thumbnail.open("rb") as stored:
            data = io.BytesIO(stored.read())
        ImageReader(data).getSize()  # decoded now, not halfway through drawing the PDF
        data.seek(0)
    except Exception:  # a missing or damaged file: the PDF goes out without this picture
        logger.warning("Programme PDF: picture %s could not be read", image.pk, exc_info=True)
        return None
    width, height = image.width or 1, image.height or 1
    return Image(data, width=PICTURE_WIDTH, height=PICTURE_WIDTH * height / width)


def _exercise(line: ProgrammeLine, styles) -> KeepTogether:
    parts = [
        Paragraph(_text(exercise_text(line.exercise.name)), styles["h3"]),
        Paragraph(_text(line.dose[:1].upper() + line.dose[1:]), styles["dose"]),
        Paragraph(_text(exercise_text(line.exercise.instructions)), styles["body"]),
    ]
    if line.exercise.cautions:
        parts.append(
            Paragraph(
                f"<b>{_text(_('Take care:'))}</b> {_text(exercise_text(line.exercise.cautions))}",
                styles["body"],
            )
        )
    if line.note:
        parts.append(
            Paragraph(
                f"<b>{_text(_('From your care team:'))}</b> {_text(line.note)}", styles["body"]
            )
        )
    pictures = [p for p in (_picture(image) for image in line.images) if p is not None]
    if pictures:
        row = Table([pictures], hAlign="LEFT")
        row.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        parts += [Spacer(1, 2 * mm), row]
        alts = "; ".join(image.alt_text for image in line.images)
        pictures_line = _("Pictures: %(alts)s") % {"alts": alts}
        parts.append(Paragraph(f"<i>{_text(pictures_line)}</i>", styles["meta"]))
    parts.append(Spacer(1, 4 * mm))
    # An exercise is never split across two pages.
    return KeepTogether(parts)


def programme_pdf(programme: Programme, *, first_name: str) -> bytes:
    """The PDF's bytes. A4 page size; its margins leave the content inside Letter too."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Home exercise programme for %(name)s") % {"name": first_name},
        author=settings.CLINIC_NAME,
    )
    story = [
        Paragraph(_text(_("Your home exercise programme")), styles["title"]),
        Paragraph(
            _text(
                _("For %(name)s") % {"name": first_name}
                + f" · {date_format(programme.today, _DAY_MONTH_YEAR())} · {settings.CLINIC_NAME}"
            ),
            styles["meta"],
        ),
        Spacer(1, 4 * mm),
    ]
    if programme.precautions:
        story.append(Paragraph(_text(_("Your precautions")), styles["h2"]))
        story += [Paragraph(f"• {_text(line)}", styles["body"]) for line in programme.precautions]
    story.append(Paragraph(_text(_("Your exercises")), styles["h2"]))
    if programme.paused:
        story.append(
            Paragraph(
                _text(
                    _(
                        "Your plan is paused. Do not do these exercises until your care team "
                        "says so."
                    )
                ),
                styles["body"],
            )
        )
    elif not programme.lines:
        story.append(
            Paragraph(
                _text(_("Your care team has not given you home exercises yet.")), styles["body"]
            )
        )
    else:
        story.append(
            Paragraph(
                _text(
                    _(
                        "Move slowly and never force a stretch. Stop an exercise if it causes "
                        "sharp pain."
                    )
                ),
                styles["body"],
            )
        )
        story += [_exercise(line, styles) for line in programme.lines]
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            _text(
                _("Questions about your recovery? Call %(phone)s. In an emergency, call 911.")
                % {"phone": settings.CLINIC_PHONE}
            ),
            styles["meta"],
        )
    )
    doc.build(story)
    return buffer.getvalue()
