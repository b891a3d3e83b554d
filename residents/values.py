"""Reading the values people write in register cells: dates, areas, choices."""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from residents.models import (
    Delivery,
    HouseholdKind,
    HousingStatus,
    PartyKind,
    PoliticalStatus,
    Relation,
    ResidenceType,
    Sex,
)

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(text: str) -> datetime.date:
    """1985-03-02, 1985/3/2, 1985.3.2, 19850302, 1985年3月2日 or an Excel serial."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return datetime.date(*(int(g) for g in match.groups()))
    if re.fullmatch(r"\d{1,5}(?:\.0+)?", text):
        serial = int(float(text))
        if 1 <= serial <= 80000:
            return EXCEL_EPOCH + datetime.timedelta(days=serial)
    raise ValueError(text)


def parse_area(text: str) -> Decimal:
    cleaned = (
        text.strip().replace("㎡", "").replace("平方米", "").replace("m²", "").replace(",", "")
    )
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite() or value < 0 or value >= 1_000_000:
        raise ValueError(text)
    return value.quantize(Decimal("0.01"))


SEX_WORDS = {
    "1": Sex.MALE,  # the census's and GB/T 2261.1's codes
    "2": Sex.FEMALE,
    "男": Sex.MALE,
    "男性": Sex.MALE,
    "m": Sex.MALE,
    "女": Sex.FEMALE,
    "女性": Sex.FEMALE,
    "f": Sex.FEMALE,
}

RELATION_WORDS = {
    # The census's codes (0 户主 … 9 其他), and the words the registers write.
    "0": Relation.HEAD,
    "1": Relation.SPOUSE,
    "2": Relation.CHILD,
    "3": Relation.PARENT,
    "4": Relation.PARENT_IN_LAW,
    "5": Relation.GRANDPARENT,
    "6": Relation.CHILD_IN_LAW,
    "7": Relation.GRANDCHILD,
    "8": Relation.SIBLING,
    "9": Relation.OTHER,
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "之子": Relation.CHILD,
    "之女": Relation.CHILD,
    "子女": Relation.CHILD,
    # 长子, 次女, 三子 … 独生女, 养子, 继女: every birth order and kind of child
    **{
        f"{order}{child}": Relation.CHILD
        for order in ("长", "次", "三", "四", "五", "六", "独生", "养", "继")
        for child in ("子", "女")
    },
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "父母": Relation.PARENT,
    "岳父母或公婆": Relation.PARENT_IN_LAW,
    "岳父母": Relation.PARENT_IN_LAW,
    "公婆": Relation.PARENT_IN_LAW,
    "岳父": Relation.PARENT_IN_LAW,
    "岳母": Relation.PARENT_IN_LAW,
    "公公": Relation.PARENT_IN_LAW,
    "婆婆": Relation.PARENT_IN_LAW,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "孙子女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "外祖父母": Relation.GRANDPARENT,
    "祖父": Relation.GRANDPARENT,
    "祖母": Relation.GRANDPARENT,
    "外祖父": Relation.GRANDPARENT,
    "外祖母": Relation.GRANDPARENT,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "哥哥": Relation.SIBLING,
    "弟弟": Relation.SIBLING,
    "姐姐": Relation.SIBLING,
    "妹妹": Relation.SIBLING,
    "兄弟姐妹": Relation.SIBLING,
    "媳婿": Relation.CHILD_IN_LAW,
    "儿媳": Relation.CHILD_IN_LAW,
    "儿媳妇": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
    "租户": Relation.TENANT,
    "租客": Relation.TENANT,
    "其他": Relation.OTHER,
}

HOUSEHOLD_KIND_WORDS = {
    "1": HouseholdKind.FAMILY,  # the census's 户别 codes
    "2": HouseholdKind.COLLECTIVE,
    "家庭户": HouseholdKind.FAMILY,
    "家庭": HouseholdKind.FAMILY,
    "集体户": HouseholdKind.COLLECTIVE,
    "集体": HouseholdKind.COLLECTIVE,
}

RESIDENCE_WORDS = {
    "户籍": ResidenceType.REGISTERED,
    "户籍人口": ResidenceType.REGISTERED,
    "常住": ResidenceType.REGISTERED,
    "常住人口": ResidenceType.REGISTERED,
    "流动": ResidenceType.FLOATING,
    "流动人口": ResidenceType.FLOATING,
    "暂住": ResidenceType.FLOATING,
    "外来人口": ResidenceType.FLOATING,
    "境外": ResidenceType.OVERSEAS,
    "境外人员": ResidenceType.OVERSEAS,
    "境外人口": ResidenceType.OVERSEAS,
}

# (political status, party kind)
POLITICAL_WORDS: dict[str, tuple[str, str]] = {
    "中共党员": (PoliticalStatus.PARTY_MEMBER, PartyKind.NONE),
    "党员": (PoliticalStatus.PARTY_MEMBER, PartyKind.NONE),
    "中共党员(在职)": (PoliticalStatus.PARTY_MEMBER, PartyKind.WORKPLACE),
    "中共党员(在册)": (PoliticalStatus.PARTY_MEMBER, PartyKind.REGISTERED),
    "在职党员": (PoliticalStatus.PARTY_MEMBER, PartyKind.WORKPLACE),
    "在册党员": (PoliticalStatus.PARTY_MEMBER, PartyKind.REGISTERED),
    "中共预备党员": (PoliticalStatus.PROBATIONARY, PartyKind.NONE),
    "预备党员": (PoliticalStatus.PROBATIONARY, PartyKind.NONE),
    "共青团员": (PoliticalStatus.LEAGUE_MEMBER, PartyKind.NONE),
    "团员": (PoliticalStatus.LEAGUE_MEMBER, PartyKind.NONE),
    "民主党派": (PoliticalStatus.DEMOCRATIC_PARTY, PartyKind.NONE),
    "群众": (PoliticalStatus.MASSES, PartyKind.NONE),
    "无党派人士": (PoliticalStatus.MASSES, PartyKind.NONE),
    "": (PoliticalStatus.MASSES, PartyKind.NONE),
}

HOUSING_WORDS = {
    "自住": HousingStatus.OWNER_OCCUPIED,
    "自有": HousingStatus.OWNER_OCCUPIED,
    "自购": HousingStatus.OWNER_OCCUPIED,
    "出租": HousingStatus.RENTED,
    "租住": HousingStatus.RENTED,
    "租赁": HousingStatus.RENTED,
    "空置": HousingStatus.VACANT,
    "闲置": HousingStatus.VACANT,
    "商用": HousingStatus.COMMERCIAL,
    "经营": HousingStatus.COMMERCIAL,
}


DELIVERY_WORDS = {
    "已交付": Delivery.DELIVERED,
    "交付": Delivery.DELIVERED,
    "已入住": Delivery.DELIVERED,
    "未出售": Delivery.UNSOLD,
    "未售": Delivery.UNSOLD,
    "建设单位未出售": Delivery.UNSOLD,
    "已售未交付": Delivery.SOLD_UNDELIVERED,
    "已出售未交付": Delivery.SOLD_UNDELIVERED,
    "未交付": Delivery.SOLD_UNDELIVERED,
}


def parse_phone(text: str) -> str:
    """A phone number with its spaces taken out; ValueError for what is none."""
    phone = "".join(text.split())
    if phone and not (5 <= len(phone) <= 20 and phone.replace("-", "").replace("+", "").isdigit()):
        raise ValueError(text)
    return phone


@functools.lru_cache(maxsize=4096)
def word(text: str) -> str:
    """Fold full-width brackets and spaces so '中共党员（在职）' matches its key."""
    return text.strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


# A form's code with its meaning beside it: "0.户主", "2、女", "1-家庭户", "1 男".
# (A word, not more digits: "33" is GB/T 4761's 二女, not the census's 3 twice.)
_CODE_AND_WORD = re.compile(r"^(\d{1,2})[.．、:：\-]?(\D\S*)$")


def choice(words: dict[str, Any], text: str) -> Any:
    """The value `text` names in `words`: a word, a code, or a code with its word.

    A code and a word that disagree ("1.女" for sex) name nothing: which one the
    writer meant is not ours to guess. None for what names nothing.
    """
    folded = word(text)
    found = words.get(folded)
    if found is not None:
        return found
    match = _CODE_AND_WORD.match(folded)
    if match is None:
        return None
    code, written = words.get(match[1]), words.get(match[2])
    return code if code is not None and code == written else None


_YEAR_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


def parse_birth_month(text: str) -> frozenset[tuple[int, int]]:
    """The (year, month)s a 出生年月 cell may mean: 1982.02, 1982-2, 198202, 1982年2月.

    A full date is read as its month: Excel makes "1982-2" the 1st of the month.
    "1982.1" is January or October, since Excel keeps 1982.10 as the number
    1982.1; the ID number's month says which.
    """
    text = text.strip()
    match = _YEAR_MONTH.match(text)
    if match is None:
        if text.isdigit() and len(text) != 8:
            raise ValueError(text)  # a year alone (1976) is no month, nor an Excel serial here
        date = parse_date(text)
        return frozenset({(date.year, date.month)})
    year, month = int(match[1]), int(match[2] or match[3])
    if not 1 <= month <= 12:
        raise ValueError(text)
    if match[2] == "1" and "." in text:
        return frozenset({(year, 1), (year, 10)})
    return frozenset({(year, month)})
