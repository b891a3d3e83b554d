"""The preview lists every person an import would change, and what changes, row by row."""

from __future__ import annotations

from django.urls import reverse

from residents import services
from residents.models import ImportBatch, Person
from tests.test_register_import import GOOD, register

NUMBER, RELATION, ADDRESS, PHONE = 0, 6, 7, 8


def test_the_preview_names_each_changed_person_and_field(admin_as, alice, street):
    rows = [row[:] for row in GOOD[:3]]
    services.import_now(data=register(rows), filename="a.csv", user=alice)
    zhang, li, son = rows
    zhang[PHONE] = "13900000009"
    son[NUMBER], son[RELATION], son[ADDRESS] = "H009", "户主", "和达城1幢1单元102室"
    before = list(Person.objects.order_by("pk").values_list())
    batch = services.start_import(user=alice, data=register([zhang, li, son]), filename="b.csv")
    services.check_import(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED
    assert list(Person.objects.order_by("pk").values_list()) == before
    changes = {c["line"]: c for c in batch.summary["changes"]}
    assert sorted(changes) == [3, 5] and batch.summary["change_total"] == 2
    [phone] = changes[3]["fields"]
    # Masked: the preview is seen by whoever sees the batch.
    assert phone["new"] != "13900000009" and phone["new"].endswith("0009")
    moved = {f["field"]: (f["old"], f["new"]) for f in changes[5]["fields"]}
    assert moved["住户"] == ("H001", "H009") and moved["与户主关系"][1] == "户主"

    page = admin_as(alice).get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
    html = page.content.decode()
    assert 'id="person-changes"' in html and "张小明" in html and "H001 → H009" in html
    assert "13900000009" not in html
