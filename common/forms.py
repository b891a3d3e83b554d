"""Form pieces every app's pages share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one input; common/files.py checks what they are."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data]
        return [one(data, initial)] if data else []


def files_field(label: Any, *, accept: str = "image/jpeg,image/png,image/webp,.pdf") -> FilesField:
    return FilesField(
        label=label, required=False, widget=MultipleFileInput(attrs={"accept": accept})
    )


def correction_message(form: forms.Form) -> str:
    """A refused form's errors in one Chinese message naming each field, for a page that
    comes back by a redirect (without the form's own error list)."""
    wrong = "；".join(
        (f"{form.fields[name].label or name}：" if name in form.fields else "")
        + "，".join(str(e) for e in errors)
        for name, errors in form.errors.items()
    )
    return _("Please correct: %(errors)s") % {"errors": wrong}
