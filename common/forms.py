"""Form pieces every app's pages share."""

from __future__ import annotations

from typing import Any

from django import forms


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
