"""What PostgreSQL text cannot store: a NUL byte, and lone surrogates psycopg cannot encode.

A leaf module (no Django REST framework import): common.middleware and
common.parsers both use it, and DRF imports the parser while it loads.
"""

import re

from django.utils.translation import gettext as _

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable(text: str) -> bool:
    """True if `text` holds a character PostgreSQL text cannot store."""
    return _UNSTORABLE.search(text) is not None


def unstorable_message() -> str:
    return _(
        "The request holds a character that cannot be stored (a NUL byte or an invalid "
        "Unicode character). Remove it and try again."
    )
