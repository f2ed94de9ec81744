"""The record's plan-control forms drawn in Python, as crispy-forms' bootstrap5 pack draws them.

The record shows three of these forms on every view; crispy's chain of templates per field
(whole_uni_form, field, help_text_and_errors, ...) cost ~10 ms a page. `DrawnForm.drawn` writes the
same markup (labels, required marks, help and error texts with their ids, aria attributes from
Django's own widget rendering) with `format_html`. It knows the widgets these forms use: text
areas, numbers, selects, a checkbox and a list of checkboxes; a form with a crispy `Layout` of
`Row`/`Column` gives it as `rows`: ((field name, column class), ...) per row.
"""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Django widget -> crispy's class for it ("textarea form-control", ...).
_CONTROL = {
    forms.Textarea: ("textarea", "form-control"),
    forms.NumberInput: ("numberinput", "form-control"),
    forms.TextInput: ("textinput", "form-control"),
    forms.Select: ("select", "form-select"),
    forms.CheckboxInput: ("checkboxinput", "form-check-input"),
}

_ASTERISK = format_html('<span class="asteriskField">{}</span>', "*")


def _errors_block(field, tag: str = "span") -> SafeString | str:
    """The field's errors: in spans after a control, in paragraphs in a list of checkboxes."""
    if not field.errors:
        return ""
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.auto_id,
        format_html_join(
            "",
            '<{} id="error_{}_{}"><strong>{}</strong></{}>',
            ((tag, n, field.auto_id, error, tag) for n, error in enumerate(field.errors, 1)),
        ),
    )


def _help(field) -> SafeString | str:
    if not field.help_text:
        return ""
    return format_html(
        '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
    )


def _required(field) -> tuple[str, SafeString | str]:
    if field.field.required:
        return " requiredField", _ASTERISK
    return "", ""


def _control(field) -> SafeString:
    widget = field.field.widget
    name, css = _CONTROL[type(widget)]
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": f"{name} {css}"})


def _checkboxes(field) -> SafeString:
    # As crispy's `optgroups` filter: the widget's attributes (aria-invalid) on every option.
    widget = field.field.widget
    attrs = field.build_widget_attrs({"id": widget.attrs.get("id") or field.auto_id})
    groups = widget.optgroups(field.html_name, widget.format_value(field.value()), attrs)
    options = [option for _group, group_options, _index in groups for option in group_options]
    invalid = " is-invalid" if field.errors else ""
    last = len(options) - 1
    return format_html(
        '<div id="div_{}" class="mb-3"><fieldset{}><legend class="form-label fs-6{}">{}{}</legend>'
        "<div >{}</div>{}</fieldset></div>",
        field.auto_id,
        format_html(' aria-describedby="{}"', field.aria_describedby)
        if field.aria_describedby
        else "",
        *_required(field),
        field.label,
        format_html_join(
            "",
            '<div class="form-check"><input type="{}" class="form-check-input{}"  name="{}" '
            'value="{}" {}><label for="{}" class="form-check-label">{}</label>{}</div>',
            (
                (
                    option["type"],
                    invalid,
                    field.html_name,
                    option["value"],
                    format_html_join(
                        " ",
                        "{}",
                        (
                            (name if value is True else format_html('{}="{}"', name, value),)
                            for name, value in option["attrs"].items()
                            if value is not False
                        ),
                    ),
                    option["attrs"]["id"],
                    option["label"],
                    _errors_block(field, "p") if index == last else "",
                )
                for index, option in enumerate(options)
            ),
        ),
        _help(field),
    )


def draw_field(field) -> SafeString:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return _checkboxes(field)
    required_class, asterisk = _required(field)
    if isinstance(widget, forms.CheckboxInput):
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label{}">{}{}</label>{}{}</div></div>',
            field.auto_id,
            _control(field),
            field.id_for_label,
            required_class,
            field.label,
            asterisk,
            _errors_block(field),
            _help(field),
        )
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label{}">{}{}</label>'
        "{}{}{}</div>",
        field.auto_id,
        field.id_for_label,
        required_class,
        field.label,
        asterisk,
        _control(field),
        _errors_block(field),
        _help(field),
    )


class DrawnForm:
    """A form the record draws without crispy's templates (see the module's docstring)."""

    draws_itself = True
    rows: tuple = ()

    def drawn(self) -> SafeString:
        errors = self.non_field_errors()
        head = (
            format_html(
                '<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                format_html_join("", "<li>{}</li>", ((e,) for e in errors)),
            )
            if errors
            else ""
        )
        if not self.rows:
            return format_html(
                "{}{}", head, format_html_join("\n", "{}", ((draw_field(f),) for f in self))
            )
        return format_html(
            "{}{}",
            head,
            format_html_join(
                "\n",
                '<div  class="row " >{}</div>',
                (
                    (
                        format_html_join(
                            "",
                            '<div class="{}" >{}</div>',
                            ((css, draw_field(self[name])) for name, css in row),
                        ),
                    )
                    for row in self.rows
                ),
            ),
        )
