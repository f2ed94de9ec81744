"""`{% nav_link "me:history" label here %}`: one item of the main menu, marked as the current page
when `here` (the view name being shown) is its URL name.

One tag call instead of an `{% include %}` per item: the menu is drawn on every page, and five
includes cost about a fifth of a millisecond each time (measured with benchmarks.profile_page).
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def nav_link(name: str, label: str, here: str | None):
    if name == here:
        return format_html(
            '<li class="nav-item"><a class="nav-link active" href="{}" aria-current="page">{}</a>'
            "</li>",
            reverse(name),
            label,
        )
    return format_html(
        '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>', reverse(name), label
    )
