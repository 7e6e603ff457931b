"""Word lists the demo draws from: names and places Faker lacks, e-mail domains, trade names.

Kept apart from the code that uses them; `fmt: off` keeps them compact and readable.
"""

# fmt: off
# Faker's Vietnamese lists are short; these are common names, weighted like the population.
VI_FAMILY = (
    ("Nguyễn", 31), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 3.9), ("Võ", 3.5), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.5), ("Trịnh", 0.4), ("Lâm", 0.4),
    ("Mai", 0.4), ("Trương", 0.4), ("Cao", 0.3), ("Hà", 0.3), ("Lương", 0.3), ("Đoàn", 0.3),
    ("Tạ", 0.2), ("Tô", 0.2), ("Châu", 0.2), ("Quách", 0.1), ("Kiều", 0.1),
)
VI_MALE = (
    "An", "Bảo", "Bình", "Cường", "Duy", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng",
    "Huy", "Khang", "Khánh", "Khoa", "Kiên", "Long", "Lâm", "Minh", "Nam", "Nghĩa", "Nhân",
    "Phát", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thái", "Thắng", "Thành", "Thịnh",
    "Toàn", "Trí", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Hưng", "Tú", "Trọng", "Hiển",
    "Lộc",
)
VI_FEMALE = (
    "Anh", "Châu", "Chi", "Diễm", "Dung", "Giang", "Hà", "Hân", "Hạnh", "Hằng", "Hiền", "Hoa",
    "Hồng", "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân",
    "Ngọc", "Nhung", "Như", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thu",
    "Thủy", "Trang", "Trâm", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Duyên",
    "Ánh",
)
VI_MIDDLE_M = (
    "Văn", "Đức", "Minh", "Quang", "Hữu", "Thế", "Tấn", "Công", "Hoàng", "Gia", "Bảo", "Thanh",
    "Xuân", "Anh", "Trọng",
)
VI_MIDDLE_F = (
    "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mai", "Bảo", "Phương", "Hoài", "Diệu", "Thùy",
    "Minh", "Khánh", "Bích",
)
# Thai people mostly pick a short nickname for their e-mail address.
TH_NICK = (
    "nong", "ploy", "beam", "bank", "mint", "fon", "nok", "toon", "pim", "gift", "ice", "boss",
    "golf", "tee", "arm", "bee", "jay", "earth", "fern", "film", "gam", "kwan", "may", "nan",
    "oil", "pang", "praew", "tan", "view", "yui", "best", "nut", "top",
)
# Thai companies write their web domain in Latin letters.
TH_ROMAN = (
    "siam", "chao", "phraya", "sabai", "thong", "kaew", "rung", "charoen", "sri", "mai", "ngam",
    "suk", "chai", "wattana", "pattana", "lanna", "isan", "krung", "thep", "nakhon", "samut",
    "chiang", "rai", "phuket", "kasem", "mongkol",
)
# Trade names of Vietnamese cafés and shops, and the towns they add to them.
VI_CORES = (
    "Hương Sen", "Phố Cổ", "Mây Trắng", "Bến Thành", "Hoa Mai", "Gió Biển", "Lúa Vàng",
    "Nắng Mới", "Đồi Thông", "Phù Sa", "Sương Sớm", "Hồ Tây", "Cánh Diều", "An Nhiên", "Mộc",
    "Góc Phố", "Bình Minh", "Hoàng Hôn", "Trăng Khuyết", "Lá Xanh", "Mặt Trời", "Hải Đăng",
    "Sông Hương", "Cỏ May", "Thảo Nguyên", "Hạt Dẻ", "Cây Me", "Hoa Sữa",
)
VI_PLACES = (
    "", "", "", "Sài Gòn", "Hà Nội", "Đà Nẵng", "Huế", "Đà Lạt", "Hội An", "Cần Thơ",
)
EMAIL_DOMAINS = {
    "vi": ("gmail.com", "gmail.com", "gmail.com", "yahoo.com.vn", "outlook.com"),
    "th": ("gmail.com", "gmail.com", "hotmail.com", "hotmail.co.th", "yahoo.co.th"),
    "es": ("gmail.com", "gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"),
    "fi": ("gmail.com", "outlook.com", "hotmail.fi", "luukku.com", "kolumbus.fi"),
    "en": ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com"),
}
COMPANY_TLD = {
    "vi": ".vn",
    "th": ".co.th",
    "es": ".es",
    "fi": ".fi",
    "en": ".com",
}
COMPANY_TYPES = {
    "vi": ("Cà phê", "Nhà hàng", "Khách sạn", "Tiệm bánh", "Quán", "Trà sữa", "Văn phòng"),
    "es": ("Cafetería", "Restaurante", "Hotel", "Panadería", "Bar", "Tostadores"),
    "fi": ("Kahvila", "Ravintola", "Hotelli", "Leipomo", "Paahtimo", "Bistro"),
    "en": ("Coffee Co.", "Bistro", "Café", "Bakery", "Hotel", "Roasters"),
}
# fmt: on
