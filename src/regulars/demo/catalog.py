"""Who the demo business is: a Vietnamese coffee and tea roaster that sells at its own shops,
online, to cafés and hotels at home, and exports to Thailand, Spain, Finland and the US.

One business with retail people and B2B companies, five customer languages, seasons that matter
(Tết gifts, mid-autumn, year-end) and key accounts abroad: every later feature has something
real-looking to show. Prices are VND (no minor units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BUSINESS_NAME = "Hạt Nâu Coffee Roasters (demo)"
REGION = "VN"
CURRENCY = "VND"
LANGUAGE = "vi"
TIMEZONE = "Asia/Ho_Chi_Minh"
STAFF_DOMAIN = "hatnau.vn"

LANGS = ("vi", "en", "th", "es", "fi")
LOCALES = {"vi": "vi_VN", "en": "en_US", "th": "th_TH", "es": "es_ES", "fi": "fi_FI"}
COUNTRY = {"vi": "VN", "en": "US", "th": "TH", "es": "ES", "fi": "FI"}
COUNTRY_NAME = {
    "vi": "Vietnam",
    "en": "United States",
    "th": "Thailand",
    "es": "Spain",
    "fi": "Finland",
}

# Departments / sales units, in id order; customers are assigned by kind, language and city.
RETAIL_HCMC, RETAIL_HANOI, RETAIL_DANANG, ONLINE, HORECA, EXPORT_ASIA, EXPORT_WEST, KEY = range(8)
DEPARTMENTS = (
    "Retail — TP. Hồ Chí Minh",
    "Retail — Hà Nội",
    "Retail — Đà Nẵng",
    "Online shop",
    "HoReCa (cafés, hotels, restaurants)",
    "Export — Asia",
    "Export — Europe & Americas",
    "Key accounts",
)
# Cities of Vietnamese customers, with the department that serves them and their weight.
VN_CITIES = (
    ("TP. Hồ Chí Minh", RETAIL_HCMC, 0.50),
    ("Hà Nội", RETAIL_HANOI, 0.24),
    ("Đà Nẵng", RETAIL_DANANG, 0.09),
    ("Hải Phòng", ONLINE, 0.04),
    ("Cần Thơ", ONLINE, 0.04),
    ("Nha Trang", ONLINE, 0.03),
    ("Đà Lạt", ONLINE, 0.03),
    ("Huế", ONLINE, 0.03),
)
VN_WARDS = {
    "TP. Hồ Chí Minh": ("Quận 1", "Quận 3", "Quận 7", "Bình Thạnh", "Phú Nhuận", "Thủ Đức"),
    "Hà Nội": ("Hoàn Kiếm", "Ba Đình", "Đống Đa", "Cầu Giấy", "Tây Hồ", "Hai Bà Trưng"),
    "Đà Nẵng": ("Hải Châu", "Sơn Trà", "Ngũ Hành Sơn", "Thanh Khê"),
}
# Shops of each retail department (store channel), online storefronts, warehouses.
SHOPS = {
    RETAIL_HCMC: ("Đồng Khởi (Q.1)", "Thảo Điền (Thủ Đức)"),
    RETAIL_HANOI: ("Hoàn Kiếm (Hà Nội)",),
    RETAIL_DANANG: ("Hải Châu (Đà Nẵng)",),
}
WEB_STORE = "hatnau.vn"
MARKETPLACES = ("Shopee", "Lazada", "Tiki")
HOTLINE = "Hotline 1900 6868"
WHOLESALE_DESK = "Wholesale desk"
WAREHOUSE = {
    "vi": "Kho Tân Bình, TP. HCM",
    "th": "Kho Tân Bình → Bangkok (air freight)",
    "en": "Kho Tân Bình → Los Angeles (air freight)",
    "es": "Kho Tân Bình → Madrid (air freight)",
    "fi": "Kho Tân Bình → Helsinki (air freight)",
}
CUSTOMS_HOLD = "Hải quan Cát Lái — waiting for customs clearance"

# Roles of staff beyond the managers of each department.
STAFF_FIXED = (
    ("owner", None, "Owner"),
    ("analyst", None, "Analyst"),
)


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    price: int  # VND per unit (per kg when per_kg)
    cost_pct: int  # unit cost as a share of the price, in percent
    person_w: float  # how often people buy it
    company_w: float  # how often companies buy it
    per_kg: bool = False  # sold by weight in half kilos


_BEANS, _GROUND, _DRIP, _TEA = "Whole bean coffee", "Ground coffee", "Drip bags & instant", "Tea"
_GEAR, _MACH, _GIFT, _WHOLE = "Brewing gear", "Machines", "Gifts", "Wholesale"
PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("BN-ROB-500", "Robusta Đắk Lắk 500 g", _BEANS, 165_000, 55, 9, 3),
    ProductSpec("BN-ARA-CD-250", "Arabica Cầu Đất 250 g", _BEANS, 185_000, 55, 8, 2),
    ProductSpec("BN-CULI-500", "Culi Robusta 500 g", _BEANS, 175_000, 55, 5, 1),
    ProductSpec("BN-SG-1K", "Sài Gòn Blend 1 kg", _BEANS, 320_000, 52, 5, 4),
    ProductSpec("BN-ARA-SL-250", "Arabica Sơn La 250 g", _BEANS, 160_000, 55, 4, 1),
    ProductSpec("BN-MOKA-250", "Moka Cầu Đất 250 g", _BEANS, 230_000, 50, 3, 1),
    ProductSpec("BN-ESP-1K", "Espresso Blend 1 kg", _BEANS, 390_000, 52, 4, 6),
    ProductSpec("BN-PEA-250", "Peaberry Arabica 250 g", _BEANS, 210_000, 50, 2, 1),
    ProductSpec("BN-HONEY-250", "Honey-processed Arabica 250 g", _BEANS, 250_000, 48, 2, 1),
    ProductSpec("BN-DECAF-250", "Decaf Arabica 250 g", _BEANS, 240_000, 55, 1, 0.5),
    ProductSpec("BN-ROB-KG", "Robusta loose beans (per kg)", _BEANS, 290_000, 58, 2, 3, True),
    ProductSpec("BN-ARA-KG", "Arabica loose beans (per kg)", _BEANS, 560_000, 56, 1, 2, True),
    ProductSpec("GR-PHIN-500", "Phin truyền thống 500 g", _GROUND, 140_000, 55, 8, 2),
    ProductSpec("GR-CHON-250", "Cà phê Chồn 250 g", _GROUND, 450_000, 45, 2, 0.5),
    ProductSpec("GR-PHIN-250", "Phin Blend 250 g", _GROUND, 95_000, 55, 7, 1),
    ProductSpec("GR-SUADA-500", "Cà phê sữa đá Blend 500 g", _GROUND, 150_000, 55, 6, 2),
    ProductSpec("GR-ESP-250", "Ground Espresso 250 g", _GROUND, 130_000, 55, 3, 1),
    ProductSpec("DR-ARA-10", "Drip bags Arabica (10)", _DRIP, 95_000, 50, 6, 1),
    ProductSpec("DR-ROB-10", "Drip bags Robusta (10)", _DRIP, 80_000, 50, 5, 1),
    ProductSpec("IN-3IN1-20", "Instant 3-in-1 (20 sachets)", _DRIP, 75_000, 60, 5, 1),
    ProductSpec("CB-1L", "Cold brew concentrate 1 L", _DRIP, 180_000, 45, 4, 2),
    ProductSpec("IN-COCO-12", "Coconut coffee mix (12)", _DRIP, 110_000, 55, 3, 0.5),
    ProductSpec("TE-OOLONG-200", "Oolong Bảo Lộc 200 g", _TEA, 220_000, 50, 4, 1),
    ProductSpec("TE-SEN-100", "Trà sen Tây Hồ 100 g", _TEA, 480_000, 45, 2, 0.5),
    ProductSpec("TE-THAINGUYEN-200", "Green tea Thái Nguyên 200 g", _TEA, 150_000, 50, 4, 1),
    ProductSpec("TE-SHAN-100", "Shan Tuyết Hà Giang 100 g", _TEA, 320_000, 45, 2, 0.5),
    ProductSpec("TE-ARTI-100", "Artichoke tea Đà Lạt 100 g", _TEA, 90_000, 55, 3, 0.5),
    ProductSpec("GE-PHIN", "Phin filter, stainless", _GEAR, 65_000, 40, 4, 1),
    ProductSpec("GE-PHIN-SET", "Phin gift set (2 phins, 2 cups)", _GEAR, 180_000, 45, 2, 0.3),
    ProductSpec("GE-GRINDER", "Hand grinder", _GEAR, 690_000, 55, 1, 0.3),
    ProductSpec("GE-KETTLE", "Pour-over kettle", _GEAR, 850_000, 55, 0.8, 0.3),
    ProductSpec("GE-MOKA", "Moka pot, 3 cups", _GEAR, 590_000, 55, 0.8, 0.2),
    ProductSpec("GE-PRESS", "French press 1 L", _GEAR, 420_000, 55, 0.8, 0.2),
    ProductSpec("GE-SCALE", "Coffee scale", _GEAR, 390_000, 55, 0.5, 0.3),
    ProductSpec("GE-CUPS", "Bát Tràng ceramic cups (set of 4)", _GEAR, 350_000, 50, 1, 0.5),
    ProductSpec("MA-HOME", "Home espresso machine", _MACH, 8_900_000, 70, 0.06, 0.2),
    ProductSpec(
        "MA-2GROUP", "Commercial espresso machine, 2 groups", _MACH, 89_000_000, 72, 0, 0.25
    ),
    ProductSpec("MA-GRINDER", "Commercial grinder", _MACH, 24_500_000, 70, 0, 0.3),
    ProductSpec("MA-COLDTOWER", "Cold brew tower", _MACH, 6_500_000, 65, 0.02, 0.2),
    ProductSpec("GF-TET-PQ", "Hộp quà Tết Phú Quý", _GIFT, 890_000, 50, 1, 1),
    ProductSpec("GF-TET-AK", "Hộp quà Tết An Khang", _GIFT, 1_290_000, 50, 0.6, 1),
    ProductSpec("GF-MIDAUTUMN", "Mid-autumn gift box", _GIFT, 690_000, 50, 0.6, 0.6),
    ProductSpec("GF-CORP", "Corporate gift set", _GIFT, 450_000, 50, 0.2, 1.5),
    ProductSpec("WH-GREEN-ROB-60", "Green Robusta, sack 60 kg", _WHOLE, 6_900_000, 80, 0, 2),
    ProductSpec("WH-GREEN-ARA-60", "Green Arabica, sack 60 kg", _WHOLE, 12_600_000, 80, 0, 1.5),
    ProductSpec("WH-ROB-5K", "Roasted Robusta 5 kg", _WHOLE, 1_350_000, 62, 0, 8),
    ProductSpec("WH-ARA-5K", "Roasted Arabica 5 kg", _WHOLE, 2_150_000, 60, 0, 6),
    ProductSpec("WH-ESP-5K", "Espresso Blend 5 kg (HoReCa)", _WHOLE, 1_750_000, 60, 0, 9),
    ProductSpec("WH-PHIN-5K", "Phin Blend 5 kg (HoReCa)", _WHOLE, 1_200_000, 62, 0, 7),
    ProductSpec("WH-MILK-48", "Condensed milk, carton of 48 cans", _WHOLE, 1_150_000, 85, 0, 4),
    ProductSpec("WH-CUPS-1000", "Paper cups, 1,000 pcs", _WHOLE, 850_000, 75, 0, 3),
    ProductSpec("WH-SYRUP-6", "Syrups, case of 6 × 750 ml", _WHOLE, 960_000, 70, 0, 2),
    ProductSpec("SV-MAINT", "Machine maintenance visit", _WHOLE, 1_500_000, 30, 0, 0.8),
)
GIFT_CATEGORY = _GIFT
WHOLESALE_CATEGORY = _WHOLE
MACHINE_CATEGORY = _MACH

# Lunar new year (Tết) and mid-autumn: the two gift seasons of a Vietnamese shop.
TET = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
}
MID_AUTUMN = {
    2020: date(2020, 10, 1),
    2021: date(2021, 9, 21),
    2022: date(2022, 9, 10),
    2023: date(2023, 9, 29),
    2024: date(2024, 9, 17),
    2025: date(2025, 10, 6),
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
    2031: date(2031, 10, 1),
    2032: date(2032, 9, 19),
}

TAGS_COMPANY = {
    HORECA: "horeca",
    EXPORT_ASIA: "export",
    EXPORT_WEST: "export",
    KEY: "key-account",
}
# A prime number of interests, so a stride walk picks distinct ones for each customer.
INTERESTS = (
    "espresso",
    "phin coffee",
    "cold brew",
    "pour-over",
    "oolong tea",
    "lotus tea",
    "cycling",
    "running",
    "yoga",
    "football",
    "badminton",
    "cooking",
    "baking",
    "travel",
    "photography",
    "gardening",
    "music",
    "reading",
    "karaoke",
    "dark chocolate",
    "durian",
    "phở",
    "bánh mì",
    "wine",
    "hiking",
    "board games",
    "cats",
    "dogs",
    "fishing",
)
assert len(INTERESTS) == 29
