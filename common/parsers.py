"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): a 400 in Chinese for bad JSON.

DRF's own parser answers a 500 for JSON nested deeper than Python's recursion
limit (a RecursionError), an English message for malformed JSON, and passes on
strings PostgreSQL cannot store (a NUL byte, a lone surrogate such as
"\\ud800"), which fail later as a server error. This one refuses all three
before a view sees the data. The body is already bounded by
DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads it through request.body).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]  # not in the stubs
from rest_framework.utils.json import strict_constant

from common.storable import has_unstorable, unstorable_message

# Deeper than any body this API takes (its deepest is an object of lists).
MAX_JSON_DEPTH = 32


def _too_deep() -> ParseError:
    return ParseError(
        _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH}
    )


def check_parsed(data: Any) -> None:
    """Raise ParseError if `data` nests too deep or holds a string the database cannot store."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if has_unstorable(value):
                raise ParseError(unstorable_message())
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        for key, item in items:
            if key is not None and has_unstorable(key):
                raise ParseError(unstorable_message())
            stack.append((item, depth + 1))


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            encoding = get_encoding(parser_context or {})  # refuses non-text codecs (bz2_codec)
        except ParseError:
            raise ParseError(
                _("The request names a character set that is not supported.")
            ) from None
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep() from None
        except json.JSONDecodeError as error:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)d, column %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except ValueError:  # undecodable bytes, NaN or Infinity, an integer of 4,300+ digits
            raise ParseError(_("The request body is not valid JSON.")) from None
        check_parsed(data)
        return data
