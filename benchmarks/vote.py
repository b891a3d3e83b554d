"""An owners' vote at the size of a large compound: opening, ballots, tally.

In a scratch database (PostgreSQL, or SQLite on the embedded defaults): the demo
tree, and --flats (2,000) flats under one grid with exclusive areas, each owned
by one owner (every tenth flat by an owner of two, every 25th the developer's).
Then, through the services as the API calls them:

- open: `voting.open_vote` — the electorate read (residents.owners.voters) and
  frozen as Voter rows;
- ballots: every head's ballot in one `cast_ballots` call (one API request);
- change: a tenth of them changed (old rows superseded, new ones written);
- tally: `voting.tally_of`, the Decimal sums over the live ballots.

The baseline, measured in the same run, is reading the same flats with their
owners once (one query joining the flats to their owners: what any page
listing the compound's flats pays); each figure is printed as a ratio of it.

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/microgrid \\
      .venv/bin/python benchmarks/vote.py [--flats 2000]
  .venv/bin/python benchmarks/vote.py     # the embedded defaults
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.scratch import scratch_database  # noqa: E402
from deliberation import services, voting  # noqa: E402
from deliberation.models import STAGES  # noqa: E402
from grids import services as grid_services  # noqa: E402
from grids.demo import SCALES, tree_rows  # noqa: E402
from grids.models import Level, Node, Role  # noqa: E402
from grids.tree_import import load_street  # noqa: E402
from residents import owners  # noqa: E402
from residents import services as roster  # noqa: E402
from residents.models import Delivery, Flat, Owner  # noqa: E402
from residents.selectors import under  # noqa: E402


def seed(count: int) -> tuple[object, Node]:
    load_street(rows=tree_rows(SCALES["tiny"]))
    grid = Node.objects.filter(level=Level.GRID).order_by("lft").first()
    assert grid is not None
    community = grid.parent
    user = get_user_model().objects.create_user("bench", password="x", is_staff=True)
    staff = grid_services.create_staff(home_node=community, name="bench", user=user)
    grid_services.assign(staff=staff, node=community, role=Role.COMMUNITY_WORKER)
    stairwells = list(grid.get_descendants().filter(level=Level.STAIRWELL).order_by("lft"))
    flats = [
        roster.flat_at(
            stairwell=stairwells[n % len(stairwells)], room=f"{n // len(stairwells) + 101}"
        )
        for n in range(count)
    ]
    for n, flat in enumerate(flats):
        flat.area = Decimal(60 + n % 90) + Decimal("0.25")
        flat.delivery = Delivery.UNSOLD if n % 25 == 0 else Delivery.DELIVERED
    Flat.objects.bulk_update(flats, ["area", "delivery"])
    people = Owner.objects.bulk_create(Owner(name=f"业主{n}", kind="person") for n in range(count))
    # Every tenth owner also owns the next flat: one head with two flats.
    by_flat = {
        flat.pk: [people[n - 1].pk if n % 10 == 1 else people[n].pk] for n, flat in enumerate(flats)
    }
    owners.set_owners(owners_by_flat=by_flat)
    return user, grid


def timed(step: object, *args: object, **kwargs: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = step(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - start, result


def baseline(grid: Node) -> float:
    def read() -> int:
        rows = Flat.objects.filter(under(grid)).values_list(
            "pk", "area", "delivery", "ownerships__owner_id", "ownerships__owner__name"
        )
        return len(list(rows))

    return min(timed(read)[0] for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flats", type=int, default=2000)
    args = parser.parse_args()
    with scratch_database():
        user, grid = seed(args.flats)
        matter = services.create_matter(user=user, title="加装电梯", node=grid, item=8)
        for _stage in STAGES[:-1]:
            services.advance(
                user=user, matter=matter, outcome="passed", held_on=matter.created_at.date()
            )
        base = baseline(grid)
        opened, vote = timed(voting.open_vote, user=user, matter=matter)
        heads = list(vote.voters.values_list("pk", flat=True))  # type: ignore[attr-defined]
        cast, _written = timed(
            voting.cast_ballots, user=user, matter=matter, ballots=[(pk, "yes") for pk in heads]
        )
        changed, _ = timed(
            voting.cast_ballots,
            user=user,
            matter=matter,
            ballots=[(pk, "no") for pk in heads[::10]],
        )
        tallied, tally = timed(voting.tally_of, vote)
        print(
            f"database={connection.vendor} flats={args.flats} heads={len(heads)} "
            f"passed={tally.passed}"  # type: ignore[attr-defined]
        )
        print(f"baseline_read_flats_with_owners_s={base:.4f}")
        for name, seconds in [
            ("open_vote", opened),
            ("ballots_all_heads", cast),
            ("ballots_change_tenth", changed),
            ("tally", tallied),
        ]:
            print(f"{name}_s={seconds:.4f} {name}_ratio_vs_baseline={seconds / base:.1f}")


if __name__ == "__main__":
    main()
