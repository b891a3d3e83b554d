"""Browser admin of the roster: flats, households with their members, persons, events,
visits, register imports. Scoped by jurisdiction; ID numbers and phones masked unless the
user may see them, and every unmasked page and export is logged.

One module per page family; importing them registers the admins."""

from residents.admin import events, flats, households, imports, owners, persons
from residents.admin import transfers as transfers

__all__ = ["events", "flats", "households", "imports", "owners", "persons"]
