import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grids.models import Level, Node


def test_clean_street_passes(street, capsys):
    call_command("check_tree")
    assert "1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda s: Node.objects.filter(pk=s.get_children()[0].pk).update(rght=999),
        lambda s: (
            Node.objects.filter(level=Level.GRID)
            .filter(pk=s.get_descendants().filter(level=Level.GRID)[0].pk)
            .update(code="330106004999001")
        ),
        lambda s: Node.objects.filter(
            pk=s.get_descendants().filter(level=Level.STAIRWELL)[0].pk
        ).update(building=""),
        lambda s: Node.objects.filter(
            pk=s.get_descendants().filter(level=Level.STAIRWELL)[1].pk
        ).update(
            unit=s.get_descendants().filter(level=Level.STAIRWELL)[0].unit,
            building=s.get_descendants().filter(level=Level.STAIRWELL)[0].building,
        ),
    ],
    ids=["lft-rght", "code-prefix", "stairwell-address", "duplicate-address"],
)
def test_corruption_is_listed_with_exit_status_1(street, corrupt, capsys):
    corrupt(street)
    with pytest.raises(CommandError) as error:
        call_command("check_tree")
    assert error.value.returncode == 1
    assert capsys.readouterr().err.strip()


def test_nightly_job_reports_faults(street):
    from grids.jobs import verify_tree_integrity

    assert verify_tree_integrity() == 0
    Node.objects.filter(pk=street.pk).update(lft=5)
    assert verify_tree_integrity() > 0
