"""The zh_Hans catalog is complete, and the committed .mo holds every .po translation."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_messages() -> list[tuple[str, str]]:
    """(msgid, first msgstr) of every entry but the header; fuzzy entries count as empty."""
    messages = []
    text = (CATALOG / "django.po").read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if not line.startswith('"'):
                key, _sep, line = line.partition(" ")
            if key is not None:
                fields[key] = fields.get(key, "") + ast.literal_eval(line)
        if fields.get("msgid"):
            translation = (
                "" if "#, fuzzy" in block else fields.get("msgstr", fields.get("msgstr[0]", ""))
            )
            messages.append((fields["msgid"], translation))
    return messages


def test_every_message_is_translated():
    assert [msgid for msgid, text in po_messages() if not text] == []


def test_compiled_catalog_is_current():
    with open(CATALOG / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, text in po_messages()
        if "%(counter)s" not in msgid and "%(n)s" not in msgid and compiled.gettext(msgid) != text
    ]
    assert stale == []


def test_translations_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    wrong = [
        msgid
        for msgid, text in po_messages()
        if sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(text))
    ]
    assert wrong == []


# The names makemessages finds messages under (xgettext's and Django's keywords).
EXTRACTED_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}


def test_every_translation_function_is_called_by_a_name_makemessages_extracts():
    """`gettext_lazy as _lazy` kept three import messages out of the catalog: English in a
    Chinese report."""
    aliased = []
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if {".venv", "var", "node_modules"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                aliased += [
                    f"{path.name}: {name.name} as {name.asname}"
                    for name in node.names
                    if name.asname and name.asname not in EXTRACTED_NAMES
                ]
    assert aliased == []
