"""Many writers at once on PostgreSQL: the tree lock keeps lft/rght consistent."""

import threading

import pytest
from django.db import close_old_connections, connection

from grids import services
from grids.integrity import check_trees
from grids.models import Level, Node

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are a PostgreSQL feature; SQLite serialises writers itself")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_inserts_keep_the_tree_consistent() -> None:
    street = services.create_node(parent=None, code="330106020", name="并发街道")
    communities = [
        services.create_node(parent=street, code=f"330106020{c:03d}", name=f"社区{c}")
        for c in range(1, 4)
    ]
    workers, per_worker = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def insert(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_worker):
                community = communities[(worker + i) % len(communities)]
                community = Node.objects.get(pk=community.pk)
                services.create_node(
                    parent=community,
                    code=f"{community.code}{worker * 100 + i:03d}",
                    name=f"网格{worker}-{i}",
                )
            if worker % 4 == 0:
                # new streets at the same time: the forest lock
                services.create_node(parent=None, code=f"33010603{worker}", name=f"新街道{worker}")
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=insert, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (
        Node.objects.filter(tree_id=street.tree_id, level=Level.GRID).count()
        == workers * per_worker
    )
    assert Node.objects.filter(level=Level.STREET).count() == 1 + 2
    trees, faults = check_trees()
    assert faults == []
    assert trees == 3
