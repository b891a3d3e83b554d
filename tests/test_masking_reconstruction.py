"""Nothing a user without the personal-data permission sees puts a hidden ID number back.

The probe rebuilt every ID number of the demo street from a masked export: the
mask hid YYYYMMDD and the birth date stood beside it. Here we take what frank
(a micro-grid leader, no permission) is shown — the API, the admin list and
detail page, the export — and count the ID numbers consistent with all of it
together; about 10,000 is the least a mask may leave (issue 8, item 3).
"""

import datetime
import re

from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from common.masking import mask_id_number, mask_phone
from grids import personal_data
from residents.idnumbers import check_character
from residents.models import Person
from tests.support import idn

ENOUGH = 10_000


def candidates(
    masked: str, *, birth_year: int, sex: str, today: datetime.date, enough: int = ENOUGH
) -> int:
    """How many valid ID numbers agree with a masked number, a birth year and a sex.

    Counting stops at `enough`: past it the mask has done its work.
    """
    region = masked[:6]
    assert re.fullmatch(r"\d{6}", region), masked
    count = 0
    day = datetime.date(birth_year, 1, 1)
    while day.year == birth_year and day <= today:
        for sequence in range(1 if sex == "M" else 0, 1000, 2):
            first17 = f"{region}{day:%Y%m%d}{sequence:03d}"
            number = first17 + check_character(first17)
            # Every character the mask shows must match.
            if all(shown in ("*", real) for shown, real in zip(masked, number, strict=True)):
                count += 1
                if count >= enough:
                    return count
        day += datetime.timedelta(days=1)
    return count


@settings(max_examples=15, deadline=None)
@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2026, 12, 1)),
    st.integers(0, 999),
)
def test_the_masked_forms_leave_enough_candidates(birth, sequence):
    number = idn("330106", f"{birth:%Y%m%d}", sequence)
    shown_birth = personal_data.shown_birth_date(birth, full=False)
    assert f"{birth:%m%d}" not in shown_birth and str(birth.day) not in shown_birth.replace(
        str(birth.year), ""
    )
    masked = personal_data.shown_id_number(number, full=False)
    sex = "M" if sequence % 2 else "F"
    today = datetime.date(2026, 12, 1)
    assert candidates(masked, birth_year=birth.year, sex=sex, today=today) >= ENOUGH


def test_a_masked_phone_leaves_ten_thousand():
    masked = mask_phone("13812345678")
    assert masked == "138****5678" and 10 ** masked.count("*") >= ENOUGH


def visible_to(text: str, person: Person) -> None:
    """The hidden digits of the person's ID number appear nowhere in `text`."""
    birth, number = person.birth_date, person.id_number
    assert birth is not None and number is not None
    assert number not in text
    for form in (f"{birth:%Y%m%d}", f"{birth:%Y-%m-%d}", f"{birth.year}年{birth.month}月"):
        assert form not in text, form
    assert mask_id_number(number) in text or number[:6] in text


def test_what_frank_sees_everywhere_hides_the_birth_date(api_as, admin_as, frank, roster):
    zhang = Person.objects.get(name="张伟")
    api = api_as(frank).get(f"/api/v1/persons/{zhang.pk}/").json()
    assert api["birth_date"] is None and api["birth_year"] == 1980
    visible_to(str(api), zhang)
    client = admin_as(frank)
    visible_to(client.get(reverse("admin:residents_person_changelist")).content.decode(), zhang)
    detail = reverse("admin:residents_person_change", args=[zhang.pk])
    visible_to(client.get(detail).content.decode(), zhang)
    household = reverse("admin:residents_household_change", args=[zhang.household_id])
    visible_to(client.get(household).content.decode(), zhang)
    fields = ["name", "id_number", "sex", "birth_date", "phone"]
    chosen = {f"personresource_{f}": "on" for f in fields}
    export = client.post(
        reverse("admin:residents_person_export"), {"resource": "0", "format": "0", **chosen}
    )
    body = export.content.decode("utf-8-sig")
    visible_to(body, zhang)
    assert "1980" in body  # the year stays: ages matter to a micro-grid's work


def test_a_sort_by_birth_date_is_not_offered_to_frank(admin_as, frank, roster):
    """Sorting the masked rows by their birth dates would order them by the hidden digits."""
    from residents.admin.persons import PersonAdmin

    page = admin_as(frank).get(reverse("admin:residents_person_changelist"))
    columns = PersonAdmin(Person, None).get_list_display(page.wsgi_request)
    birth = next(c for c in columns if getattr(c, "__name__", "") == "birth_date")
    assert getattr(birth, "admin_order_field", None) is None


def test_those_with_the_permission_see_the_date(api_as, alice, roster):
    zhang = Person.objects.get(name="张伟")
    assert api_as(alice).get(f"/api/v1/persons/{zhang.pk}/").json()["birth_date"] == "1980-01-01"


@settings(max_examples=200)
@given(
    st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=8),
    st.sampled_from(["id", "phone"]),
    st.integers(0, 999),
    st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=8),
)
def test_digits_quoted_in_a_message_are_masked(before, kind, n, after):
    from common.masking import mask_in_text

    secret = idn("330106", "19720914", n) if kind == "id" else f"139{n:04d}{n:04d}"
    shown = mask_in_text(before + secret + after)
    assert secret not in shown and shown.startswith(before)


def test_node_codes_left_readable_are_the_trees_own():
    from common.masking import NODE_CODE_LENGTHS, mask_in_text
    from grids.models import CODE_LENGTHS, Level

    assert {CODE_LENGTHS[Level.MICRO_GRID], CODE_LENGTHS[Level.STAIRWELL]} == NODE_CODE_LENGTHS
    code = "3".zfill(CODE_LENGTHS[Level.STAIRWELL])
    assert mask_in_text(f"楼道 {code}") == f"楼道 {code}"
