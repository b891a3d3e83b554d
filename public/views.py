"""The public pages: per community, the matters whose resolution is published — their
deliberations (stage, date, outcome), the resolution with the tally's totals (areas and
heads, never who voted or how), the implementation's milestones, progress and spending —
and a printable notice for the stairwell board with a QR code to the page.

Nothing appears before a staff member publishes the resolution; the minutes, the
participants, the electorate and the ballots never appear here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import segno
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from common.files import serve
from deliberation import selectors
from deliberation.models import Matter, MatterFile, Phase, Publication, StageRecord, What
from grids.models import Level, Node


def communities(request: HttpRequest) -> HttpResponse:
    """Every community with how many of its matters are public."""
    rows = list(Node.objects.filter(level=Level.COMMUNITY).order_by("tree_id", "lft"))
    places = selectors.published_matters().values_list("node__tree_id", "node__lft")
    counts: Counter[int] = Counter()
    for tree_id, lft in places:
        for community in rows:
            if community.tree_id == tree_id and community.lft <= lft <= community.rght:
                counts[community.pk] += 1
                break
    return render(
        request,
        "public/communities.html",
        {"communities": [(c, counts[c.pk]) for c in rows]},
    )


def community(request: HttpRequest, code: str) -> HttpResponse:
    place = get_object_or_404(Node, code=code, level=Level.COMMUNITY)
    matters = list(
        selectors.with_progress(selectors.published_in(place))
        .select_related("node")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "public/community.html",
        {
            "community": place,
            "in_progress": [
                (m, selectors.progress(m)) for m in matters if m.phase != Phase.FINISHED
            ],
            "finished": [(m, selectors.progress(m)) for m in matters if m.phase == Phase.FINISHED],
        },
    )


def _published(matter_id: int) -> tuple[Matter, dict[str, Publication]]:
    matter = (
        selectors.with_progress(selectors.published_matters())
        .select_related("node")
        .prefetch_related(
            Prefetch(
                "records",
                queryset=StageRecord.objects.filter(superseded_at__isnull=True).order_by("pk"),
            ),
            Prefetch(
                "milestones__files",
                queryset=MatterFile.objects.filter(content_type__startswith="image/"),
                to_attr="photos",
            ),
            "publications",
        )
        .filter(pk=matter_id)
        .first()
    )
    if matter is None:
        raise Http404
    return matter, {p.what: p for p in matter.publications.all()}


def _context(matter: Matter, publications: dict[str, Publication]) -> dict[str, Any]:
    resolution = publications[What.RESOLUTION]
    return {
        "matter": matter,
        "records": list(matter.records.all()),
        "resolution": resolution,
        "totals": resolution.totals,
        "result": publications.get(What.IMPLEMENTATION),
        "milestones": list(matter.milestones.all()),
        "progress": selectors.progress(matter),
        "community": matter.node.get_ancestors().filter(level=Level.COMMUNITY).first(),
    }


def matter(request: HttpRequest, matter_id: int) -> HttpResponse:
    found, publications = _published(matter_id)
    return render(request, "public/matter.html", _context(found, publications))


def notice(request: HttpRequest, matter_id: int) -> HttpResponse:
    """The A4 notice for the stairwell board: the resolution, its totals, the publicity
    period, and a QR code to the matter's page."""
    found, publications = _published(matter_id)
    url = request.build_absolute_uri(reverse("public:matter", args=[found.pk]))
    qr = segno.make(url, error="m").svg_inline(scale=4, title=url)
    # segno writes the SVG and escapes the URL in its title; the host is an allowed one.
    context = {**_context(found, publications), "url": url, "qr": mark_safe(qr)}
    return render(request, "public/notice.html", context)


def photo(request: HttpRequest, file_id: int) -> FileResponse:
    """A milestone's photo of a published matter; nothing else stored is public."""
    return serve(get_object_or_404(selectors.public_photos(), pk=file_id), public=True)
