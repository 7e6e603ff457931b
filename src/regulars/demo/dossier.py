"""The key accounts, the people inside companies, and what managers wrote in the dossiers.

Key accounts are hand-written so the demo tells a story: a Finnish roaster that brings more than
10 % of sales (one dependency to watch), a Thai café chain, a Đà Nẵng hotel group that stopped
ordering (win it back, fast), a Spanish distributor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from regulars.domain.customers import BuyingRole, ContactLevel, Stance


@dataclass(frozen=True, slots=True)
class KeyAccount:
    lang: str
    display: str
    legal: str
    domain: str
    region: str
    founded: date
    share: float  # share of all revenue it should bring
    lapsed_days: int = 0  # > 0: stopped ordering this many days ago


KEY_ACCOUNTS = (
    KeyAccount(
        "fi",
        "Kahvipaahtimo Pohjola",
        "Kahvipaahtimo Pohjola Oy",
        "pohjolakahvi.fi",
        "Finland",
        date(1998, 1, 1),  # month and day are moved into the coming week
        0.15,
    ),
    KeyAccount(
        "th",
        "Siam Café Chain",
        "บริษัท สยามคาเฟ่ เชน จำกัด",
        "siamcafechain.co.th",
        "Thailand",
        date(2009, 6, 12),
        0.07,
    ),
    KeyAccount(
        "vi",
        "Sông Hàn Riverside Hotels",
        "Công ty Cổ phần Khách sạn Sông Hàn",
        "songhanhotels.vn",
        "Đà Nẵng",
        date(2004, 3, 26),
        0.05,
        lapsed_days=104,
    ),
    KeyAccount(
        "es",
        "Cafés del Sur",
        "Cafés del Sur S.L.",
        "cafesdelsur.es",
        "Spain",
        date(2012, 10, 3),
        0.04,
    ),
)

L, R, S = ContactLevel, BuyingRole, Stance
# (level, job title, department, role in buying, stance): the map of a key account's people.
KEY_CONTACTS = (
    (L.OWNER, "Owner", "Board", R.DECISION_MAKER, S.SUPPORTER),
    (L.CEO, "CEO", "Management", R.DECISION_MAKER, S.NEUTRAL),
    (L.TOP_MANAGER, "Head of Purchasing", "Purchasing", R.OTHER, S.SUPPORTER),
    (L.ACCOUNTANT, "Chief Accountant", "Finance", R.FINANCE, S.OPPONENT),
    (L.MIDDLE_MANAGER, "Head Roaster", "Quality", R.TECHNICAL, S.SUPPORTER),
    (L.MIDDLE_MANAGER, "Café Operations Manager", "Operations", R.USER, S.NEUTRAL),
    (L.STAFF, "Barista Trainer", "Operations", R.USER, S.SUPPORTER),
)
# Ordinary companies: the first contact decides, the next ones pay, judge and use.
COMPANY_CONTACTS = (
    (L.OWNER, "Owner", "Management", R.DECISION_MAKER),
    (L.ACCOUNTANT, "Accountant", "Finance", R.FINANCE),
    (L.MIDDLE_MANAGER, "Head Barista", "Operations", R.TECHNICAL),
    (L.STAFF, "Barista", "Operations", R.USER),
    (L.TOP_MANAGER, "General Manager", "Management", R.OTHER),
    (L.CEO, "Managing Director", "Management", R.DECISION_MAKER),
)
STANCES = (S.SUPPORTER, S.NEUTRAL, S.OPPONENT)
STANCE_WEIGHTS = (0.5, 0.35, 0.15)

# What a key-account manager writes over the years ({c0}… are the account's contacts).
KEY_NOTES = (
    "First meeting with {c1} ({t1}): they want a second origin next to Robusta.",
    "{c3} ({t3}) pushes for 60-day payment terms and opposes any price increase.",
    "{c4} ({t4}) measured 0.8 % defective beans in the last shipment; their limit is 1 %.",
    "Visited their roastery with our director; {c0} showed the new espresso line.",
    "They also buy from a Brazilian importer: keep delivery dates, quality first.",
    "{c5} says their baristas find the 5 kg bags heavy; asked about 1 kg bags.",
    "Sent samples of Honey-processed Arabica to {c4}; feedback in two weeks.",
    "Annual contract talks in March: {c1} expects 3 % volume rebate above 20 tonnes.",
    "{c6} ran a latte-art training with our beans; staff liked the Cầu Đất Arabica.",
    "Birthday of {c0} last year: sent a Trà sen Tây Hồ gift box, well received.",
    "Complaint: one pallet arrived 5 days late; we covered the express freight.",
    "Referral: {c0} introduced us to two cafés in their city.",
)
LAPSED_KEY_NOTES = (
    "No order since the new F&B director started; {c1} does not answer calls.",
    "Heard they now buy from a cheaper supplier. Ask why, and what we could fix.",
)
NOTES = (
    "Prefers delivery after 14:00.",
    "Always asks for a roast date less than 7 days old.",
    "Buys Tết gift boxes for the whole office in January.",
    "Complained about a late delivery; we offered a free box of drip bags.",
    "Likes strong phin coffee, no sugar; try the Culi Robusta.",
    "Referred two friends from her yoga class.",
    "Lactose intolerant: suggest oat milk with the cold brew.",
    "Birthday gift last year: Bát Tràng cups, very happy.",
    "Khách quen, thích cà phê phin đậm, hay mua buổi sáng.",
    "Hay mua quà Tết cho đối tác, nên gọi trước Tết 3 tuần.",
    "Asked about a discount card; interested in the gold level.",
    "Moved to a new flat; check the delivery address next time.",
)
