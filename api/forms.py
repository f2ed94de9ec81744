"""The settings page's form for connecting a device (a phone app) with a token."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from api.tokens import NAME_MAX


class DeviceForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the device"),
        max_length=NAME_MAX,
        help_text=gettext_lazy("So you can tell your devices apart, for example “My phone”."),
        error_messages={
            "required": gettext_lazy("Give the device a name, for example “My phone”."),
            "max_length": gettext_lazy(
                "Keep the device's name to %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        return name
