"""One small function per e-mail. Contexts are plain data; no diagnosis, symptom or pain leaves.

Each e-mail is three templates: emails/<name>.subject.txt, emails/<name>.txt, emails/<name>.html.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation


def _plain_text(template_name: str, context: dict) -> str:
    """Subject and text part are not HTML: no entities (O'Brien, not O&#x27;Brien; links keep
    their "&"). The HTML part is rendered with autoescaping as usual."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def build_email(
    name: str,
    context: dict,
    to: list[str],
    headers: dict | None = None,
    language: str | None = None,
) -> EmailMultiAlternatives:
    """The e-mail in the recipient's `language` (their account's; the site's default when None),
    whatever language the sender's request or the worker speaks."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _build(name, context, to, headers)


def _build(name: str, context: dict, to: list[str], headers: dict | None):
    context = {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        **context,
    }
    subject = " ".join(_plain_text(f"emails/{name}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=_plain_text(f"emails/{name}.txt", context),
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    return message


def enrolment_email(
    *, first_name: str, username: str, email: str, link: str, language: str | None = None
) -> EmailMultiAlternatives:
    return build_email(
        "enrolment",
        {"first_name": first_name, "username": username, "link": link},
        to=[email],
        language=language,
    )


def account_email(
    *,
    first_name: str,
    username: str,
    email: str,
    role: str,
    link: str,
    site_url: str,
    language: str | None = None,
) -> EmailMultiAlternatives:
    """A clinician's or staff member's new account: the same set-password link as a patient's
    enrolment, in words for the care team."""
    return build_email(
        "account",
        {
            "first_name": first_name,
            "username": username,
            "role": role,
            "link": link,
            "site_url": site_url,
        },
        to=[email],
        language=language,
    )
