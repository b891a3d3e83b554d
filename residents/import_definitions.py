"""The imports the engine runs, by ImportBatch.kind."""

from __future__ import annotations

from residents.import_engine import Definition
from residents.models import ImportBatch
from residents.owner_import import OWNERS
from residents.register_import import REGISTER

DEFINITIONS: dict[str, Definition] = {
    ImportBatch.Kind.REGISTER: REGISTER,
    ImportBatch.Kind.OWNERS: OWNERS,
}


def definition_of(kind: str) -> Definition:
    return DEFINITIONS[kind]
