"""Finding nodes by what the pages show: a stairwell is shown as its compound and
name (和达城1幢1单元), so that is what a search for it types."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat

from grids.models import Level, Node


def stairwells_shown_as(text: str, *, whole: bool = False) -> QuerySet[Node]:
    """Stairwells whose displayed name (compound + name) begins with `text`, or is it."""
    text = "".join(text.split())  # 和达城 1幢1单元 as typed with a space
    lookup = "shown" if whole else "shown__startswith"
    return (
        Node.objects.filter(level=Level.STAIRWELL)
        .exclude(compound="")
        .alias(shown=Concat("compound", "name"))
        .filter(**{lookup: text})
    )


def node_search(term: str) -> Q:
    """Nodes by code prefix, name, compound, or a stairwell's displayed name."""
    term = term.strip()
    return (
        Q(code__startswith=term)
        | Q(name__icontains=term)
        | Q(compound__icontains=term)
        | Q(pk__in=stairwells_shown_as(term).values("pk"))
    )
