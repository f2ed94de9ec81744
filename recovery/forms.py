"""Forms for the people side: sign-in, password reset, enrolment."""

from __future__ import annotations

import time

from crispy_forms.helper import FormHelper
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from recovery.models import OutboxEmailKind, User
from recovery.outbox import outbox_add


class LoginForm(AuthenticationForm):
    """Django's sign-in form with one message for every failure (no hint whether a user exists)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That e-mail or username and password did not match. Please try again."),
        "inactive": _("That e-mail or username and password did not match. Please try again."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        # Django sets max_length after building the field, so nothing enforced it: a longer name
        # reached authenticate() and django-axes' 255-character column (a 500 on PostgreSQL). No
        # account has a longer name, so it is refused as a field error before any lookup.
        username.validators.append(MaxLengthValidator(username.max_length))
        # A patient's username is their e-mail address as the clinic typed it: the label says
        # so, and clean_username accepts the address in any case.
        username.label = _("E-mail or username")
        username.widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_username(self) -> str:
        """The account's username for an e-mail address typed in another case ("Ana@…")."""
        typed = self.cleaned_data["username"]
        if "@" in typed:
            username = (
                User.objects.filter(email__iexact=typed.strip())
                .values_list("username", flat=True)
                .first()
            )
            if username is not None:
                return username
        return typed


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, with its e-mail written to the outbox instead of sent in the request.

    No mail server is waited on while the request runs (issue 16, finding 9); the row is sent
    after commit by a worker or the outbox pass. Only an active account with a usable password
    gets a row (Django's `get_users`). What is left to tell a known address from an unknown one
    (a token, a rendered template, an INSERT, a commit and a bounded publish: some 10-20 ms) is
    hidden by answering no sooner than `min_seconds` after the look-up starts, whoever asked.
    """

    min_seconds = 0.075

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def save(self, *args, **kwargs) -> None:
        started = time.monotonic()
        with transaction.atomic():
            super().save(*args, **kwargs)  # the task is queued as this block commits
        time.sleep(max(0.0, self.min_seconds - (time.monotonic() - started)))

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        # In the account's language, whatever the browser that asked (DESIGN section 10).
        with translation.override(context["user"].language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
            html = (
                loader.render_to_string(html_email_template_name, context)
                if html_email_template_name is not None
                else None
            )
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html is not None:
            message.attach_alternative(html, "text/html")
        outbox_add(user=context["user"], kind=OutboxEmailKind.PASSWORD_RESET, message=message)
