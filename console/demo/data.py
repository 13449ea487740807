"""The tables the demo generator draws from: companies, work types, names, cars, streets, notes.

Texts that reach a customer-facing screen come in the client's language: ``"ru"`` for the
Russian clients, ``"en"`` for the English one. Nothing here is random; ``seed.py`` picks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- client companies ----------------------------------------------------------------------

CAR = "car"
HOME = "home"

MON_SAT_9_20 = {str(d): ["09:00", "20:00"] for d in range(6)}
MON_FRI_8_18 = {str(d): ["08:00", "18:00"] for d in range(5)}
EVERY_DAY_8_22 = {str(d): ["08:00", "22:00"] for d in range(7)}


@dataclass(frozen=True)
class ClientSpec:
    key: str
    name: str
    timezone: str
    currency: str
    country: str
    language: str
    kind: str  # CAR (vehicles, plates, mileage) or HOME (addresses)
    prefix: str  # external ids: "GS-10482" (orders), "GS-C000481" (customers), "GS-T07"
    share: int  # relative share of the demo's orders
    technicians: int
    marketplace: bool = False  # served by independent masters (technicians with no client)
    city: str = ""
    plate_regions: tuple[str, ...] = ()
    price_factor: float = 1.0
    call_delay_days: int | None = None
    sla_working_time_only: bool = False
    working_hours: dict = field(default_factory=lambda: dict(MON_SAT_9_20))
    car_models: tuple[str, ...] = ()  # keys of CAR_MODELS; empty: the country's usual mix


CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        key="garage-service",
        name="Garage-Service",
        timezone="Europe/Moscow",
        currency="RUB",
        country="RU",
        language="ru",
        kind=CAR,
        prefix="GS",
        share=35,
        technicians=8,
        city="Москва",
        plate_regions=("77", "97", "99", "177", "197", "199", "777", "50", "150", "750"),
    ),
    ClientSpec(
        key="ural-motors",
        name="Ural Motors Kia Service Centre",
        timezone="Asia/Yekaterinburg",
        currency="RUB",
        country="RU",
        language="ru",
        kind=CAR,
        prefix="UM",
        share=25,
        technicians=8,
        city="Екатеринбург",
        plate_regions=("66", "96", "196"),
        price_factor=1.4,  # an official dealer charges more than an independent garage
        call_delay_days=7,  # "a week after delivery" (DOMAIN.md, 004)
        sla_working_time_only=True,
        working_hours=dict(MON_FRI_8_18),
        car_models=("Kia Rio", "Kia Ceed", "Kia Sportage", "Kia Seltos", "Kia K5", "Kia Sorento"),
    ),
    ClientSpec(
        key="homefix",
        name="HomeFix",
        timezone="Asia/Novosibirsk",
        currency="RUB",
        country="RU",
        language="ru",
        kind=HOME,
        prefix="HF",
        share=30,
        technicians=9,
        marketplace=True,
        city="Новосибирск",
        working_hours=dict(EVERY_DAY_8_22),
    ),
    ClientSpec(
        key="brightwell-motors",
        name="Brightwell Motors",
        timezone="Europe/London",
        currency="GBP",
        country="GB",
        language="en",
        kind=CAR,
        prefix="BW",
        share=10,
        technicians=5,
        city="London",
        price_factor=1.0,
    ),
)

# --- work types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkTypeSpec:
    key: str
    name: str
    kind: str
    weight: int  # how common among the client's orders
    price: dict[str, tuple[int, int]]  # currency -> (low, high) in whole units
    call_delay_days: int | None = None
    sample_percent: int = 100


WORK_TYPES: tuple[WorkTypeSpec, ...] = (
    # Cheap, frequent jobs: half of them are called (car washes: one in five).
    WorkTypeSpec(
        "oil-change", "Oil change", CAR, 30, {"RUB": (2500, 9000), "GBP": (60, 180)}, None, 50
    ),
    WorkTypeSpec("diagnostics", "Diagnostics", CAR, 15, {"RUB": (1500, 6000), "GBP": (50, 150)}, 3),
    WorkTypeSpec(
        "brake-repair", "Brake repair", CAR, 15, {"RUB": (4000, 25000), "GBP": (120, 600)}, 7
    ),
    WorkTypeSpec(
        "tyre-service", "Tyre service", CAR, 20, {"RUB": (1600, 8000), "GBP": (40, 400)}, None, 50
    ),
    WorkTypeSpec(
        "car-wash", "Car wash", CAR, 20, {"RUB": (600, 2500), "GBP": (10, 35)}, 3, sample_percent=20
    ),
    WorkTypeSpec("plumbing", "Plumbing", HOME, 30, {"RUB": (1500, 12000)}, 7),
    WorkTypeSpec("electrical", "Electrical work", HOME, 20, {"RUB": (1200, 9000)}, 7),
    WorkTypeSpec("appliance-repair", "Appliance repair", HOME, 25, {"RUB": (2000, 15000)}, 7),
    WorkTypeSpec("cleaning", "Cleaning", HOME, 25, {"RUB": (3000, 14000)}, 3),
)

# What the order says was done, per work type and language.
DESCRIPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "oil-change": {
        "ru": (
            "Замена моторного масла и масляного фильтра",
            "ТО: замена масла, масляного и воздушного фильтров",
            "Замена масла, фильтров, осмотр ходовой части",
        ),
        "en": (
            "Engine oil and oil filter change",
            "Interim service: oil, oil filter and air filter",
            "Full service with oil change and chassis inspection",
        ),
    },
    "diagnostics": {
        "ru": (
            "Компьютерная диагностика двигателя",
            "Диагностика ходовой части",
            "Поиск неисправности: горит Check Engine",
        ),
        "en": (
            "Engine diagnostics (OBD scan)",
            "Suspension check",
            "Fault finding: engine warning light on",
        ),
    },
    "brake-repair": {
        "ru": (
            "Замена передних тормозных колодок",
            "Замена передних тормозных дисков и колодок",
            "Замена задних тормозных колодок, прокачка тормозной системы",
        ),
        "en": (
            "Front brake pads replaced",
            "Front brake discs and pads replaced",
            "Rear brake pads replaced, brake fluid bled",
        ),
    },
    "tyre-service": {
        "ru": (
            "Сезонная замена шин с балансировкой",
            "Ремонт прокола, балансировка",
            "Шиномонтаж и хранение шин",
        ),
        "en": (
            "Two new tyres fitted and balanced",
            "Puncture repair and wheel balancing",
            "Four-wheel alignment",
        ),
    },
    "car-wash": {
        "ru": ("Комплексная мойка", "Мойка кузова", "Мойка кузова и химчистка салона"),
        "en": ("Full valet", "Exterior wash", "Exterior wash and interior clean"),
    },
    "plumbing": {
        "ru": (
            "Замена смесителя на кухне",
            "Устранение засора в ванной",
            "Установка унитаза",
            "Замена гибкой подводки и шаровых кранов",
        ),
    },
    "electrical": {
        "ru": (
            "Установка розеток и выключателей",
            "Монтаж люстры",
            "Замена автоматов в щитке",
        ),
    },
    "appliance-repair": {
        "ru": (
            "Ремонт стиральной машины: замена насоса",
            "Ремонт холодильника: заправка хладагентом",
            "Ремонт посудомоечной машины: замена ТЭНа",
        ),
    },
    "cleaning": {
        "ru": (
            "Генеральная уборка квартиры",
            "Уборка после ремонта",
            "Мойка окон и балкона",
        ),
    },
}

# --- QC notes shown before the call (DOMAIN.md, 001) ----------------------------------------

BREAK_IN_ADVICE: dict[str, dict[str, tuple[str, ...]]] = {
    "brake-repair": {
        "ru": ("Тормозные колодки: первые 300 км избегайте резких торможений",),
        "en": ("Brake pads: avoid hard braking for the first 300 km",),
    },
    "tyre-service": {
        "ru": ("Проверьте затяжку колёсных болтов через 50 км",),
        "en": ("Have the wheel nuts re-torqued after 50 km",),
    },
    "oil-change": {
        "ru": ("Проверьте уровень масла через 1000 км",),
        "en": ("Check the oil level after 1,000 km",),
    },
    "plumbing": {
        "ru": ("Герметик: не пользуйтесь сантехникой 24 часа",),
    },
    "appliance-repair": {
        "ru": ("Запустите один холостой цикл стирки при 60 °C",),
    },
}

DECLINED_REPAIRS: dict[str, dict[str, tuple[str, ...]]] = {
    CAR: {
        "ru": (
            "Клиент отказался от замены задних амортизаторов",
            "Клиент отказался от замены передних тормозных дисков",
            "Клиент отказался от замены ремня ГРМ (по регламенту на 90 000 км)",
            "Клиент отказался от развала-схождения",
            "Клиент отказался от замены сайлентблоков передних рычагов",
        ),
        "en": (
            "Customer declined rear shock absorbers replacement",
            "Customer declined front brake discs replacement",
            "Customer declined timing belt replacement (due at 90,000 km)",
            "Customer declined wheel alignment",
            "Customer declined front wishbone bushes replacement",
        ),
    },
    HOME: {
        "ru": (
            "Клиент отказался от замены смесителя в ванной",
            "Клиент отказался от замены старой проводки на кухне",
            "Клиент отказался от замены уплотнителя двери холодильника",
        ),
    },
}

BLOCK_REASONS: dict[str, tuple[str, ...]] = {
    "ru": (
        "Оставил клиенту личные контакты (подтверждено)",
        "Повторные жалобы на качество работ",
        "Взял оплату наличными мимо кассы (подтверждено)",
    ),
    "en": (
        "Left personal contacts to a customer (confirmed)",
        "Repeated complaints about work quality",
        "Took a cash payment off the books (confirmed)",
    ),
}

# --- people --------------------------------------------------------------------------------

# Names are "first surname"; a woman's surname takes its feminine form (see feminine_surname).
RU_MALE_NAMES = (
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Виктор", "Владимир",
    "Денис", "Дмитрий", "Евгений", "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Максим",
    "Михаил", "Никита", "Николай", "Олег", "Павел", "Роман", "Руслан", "Сергей", "Станислав",
    "Юрий",
)  # fmt: skip
RU_FEMALE_NAMES = (
    "Алина", "Анастасия", "Анна", "Валентина", "Виктория", "Галина", "Дарья", "Екатерина",
    "Елена", "Ирина", "Кристина", "Ксения", "Людмила", "Марина", "Мария", "Наталья", "Ольга",
    "Полина", "Светлана", "Татьяна", "Юлия",
)  # fmt: skip
# Masculine surnames; the feminine form adds "а" (Иванов -> Иванова) unless listed as invariable.
RU_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв",
    "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
    "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв",
    "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров",
    "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов",
    "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков",
    "Горбунов", "Анисимов", "Еремин", "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов",
    "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов", "Князев", "Цветков",
    "Левин", "Митрофанов", "Воронов", "Аксёнов", "Софронов", "Мальцев", "Логинов", "Горшков",
    "Савин", "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников",
    "Дьячков", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Коваленко", "Мищенко",
)  # fmt: skip

EN_MALE_NAMES = (
    "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Daniel",
    "Joshua", "Samuel", "Benjamin", "Adam", "Ryan", "Luke", "Matthew", "David", "Michael",
    "Christopher", "Andrew", "Mohammed", "Ravi", "Tomasz", "Liam", "Connor", "Ethan",
)  # fmt: skip
EN_FEMALE_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Jessica", "Ella",
    "Charlotte", "Hannah", "Lucy", "Chloe", "Rebecca", "Sarah", "Emma", "Laura", "Priya",
    "Aisha", "Zofia", "Megan", "Holly", "Katie",
)  # fmt: skip
EN_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper",
    "Ward", "Morris", "King", "Watson", "Harrison", "Morgan", "Baker", "Young", "Allen",
    "Mitchell", "Anderson", "Lewis", "Bennett", "Carter", "Phillips", "Murphy", "Kelly",
    "Khan", "Ali", "Shah", "Nowak", "Kowalski", "O'Brien", "Campbell", "Stewart", "Reid",
    "Fletcher", "Marshall", "Chapman", "Barnes", "Foster", "Graham", "Gibson", "Palmer",
)  # fmt: skip


def feminine_surname(surname: str) -> str:
    """Иванов -> Иванова, Ильин -> Ильина, Сорокин -> Сорокина; Шевченко stays as it is."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


# QC's canned replies (title, language, text), offered on every client's complaints.
CANNED_REPLIES = (
    (
        "Apology and next step",
        "en",
        "Dear {customer_name}, we are sorry about order {order_number}. We are looking into it "
        "and will call you back with a decision within three days.",
    ),
    (
        "Free inspection offered",
        "en",
        "We would like to inspect the work on order {order_number} free of charge. Please choose "
        "a time that suits you.",
    ),
    (
        "Решение: повторный визит",
        "ru",
        "{customer_name}, приносим извинения за заказ {order_number}. Мастер приедет повторно "
        "бесплатно; мы позвоним, чтобы договориться о времени.",
    ),
    (
        "Возврат за счёт мастера",
        "ru",
        "{customer_name}, по заказу {order_number} мы вернём вам деньги. Возврат придёт в течение "
        "пяти рабочих дней.",
    ),
)

EMAIL_DOMAINS = {
    "ru": ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru"),
    "en": ("gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk", "hotmail.co.uk"),
}

# Russian names written in Latin letters for e-mail addresses.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


def transliterate(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum())


# --- phones: (country calling code, national prefix, digits after it) ------------------------

MOBILE_PREFIXES: dict[str, tuple[tuple[int, str, int], ...]] = {
    # +7 9xx xxx-xx-xx
    "RU": tuple(
        (7, p, 7)
        for p in ("900", "903", "905", "906", "909", "912", "915", "916", "919", "922", "925")
        + ("926", "929", "950", "952", "953", "961", "977", "985", "991", "999")
    ),
    # +44 7xxx xxxxxx
    "GB": tuple((44, p, 6) for p in ("7400", "7412", "7481", "7500", "7552", "7723", "7775"))
    + tuple((44, p, 6) for p in ("7800", "7824", "7956")),
}
# Landlines by client city, for the second ("home" / "work") number some customers give.
LANDLINE_PREFIXES: dict[str, tuple[tuple[int, str, int], ...]] = {
    "Москва": ((7, "495", 7), (7, "499", 7)),
    "Екатеринбург": ((7, "343", 7),),
    "Новосибирск": ((7, "383", 7),),
    "London": ((44, "207", 7), (44, "208", 7)),
}

# --- vehicles ------------------------------------------------------------------------------

# model -> (world manufacturer identifier of its usual plant, VIN descriptor section stem)
CAR_MODELS: dict[str, tuple[str, str]] = {
    "Kia Rio": ("Z94", "C241"),
    "Kia Ceed": ("XWE", "H512"),
    "Kia Sportage": ("XWE", "PC81"),
    "Kia Seltos": ("XWE", "PG81"),
    "Kia K5": ("XWE", "G414"),
    "Kia Sorento": ("XWE", "PH81"),
    "Lada Vesta": ("XTA", "GFL1"),
    "Lada Granta": ("XTA", "2190"),
    "Lada Niva Travel": ("X9L", "2123"),
    "VW Polo": ("XW8", "ZZZ6"),
    "Skoda Octavia": ("TMB", "AG7N"),
    "Skoda Rapid": ("XW8", "AC1N"),
    "Toyota Camry": ("XW7", "BF4F"),
    "Toyota RAV4": ("JTM", "W1FV"),
    "Hyundai Solaris": ("Z94", "K411"),
    "Hyundai Creta": ("Z94", "G281"),
    "Renault Logan": ("X7L", "4SRA"),
    "Haval Jolion": ("XZG", "FF06"),
    "Chery Tiggo 7 Pro": ("LVV", "DB21"),
    "Ford Fiesta": ("WF0", "DXXG"),
    "VW Golf": ("WVW", "ZZZC"),
    "Vauxhall Corsa": ("W0V", "P2HN"),
    "Nissan Qashqai": ("SJN", "FAAJ"),
    "BMW 3 Series": ("WBA", "5R11"),
    "Toyota Yaris": ("VNK", "KAC3"),
    "Mini Cooper": ("WMW", "XR31"),
    "Tesla Model 3": ("5YJ", "3E7E"),
}
CAR_MODELS_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "RU": (
        "Kia Rio", "Lada Vesta", "Lada Granta", "VW Polo", "Toyota Camry", "Hyundai Solaris",
        "Skoda Octavia", "Skoda Rapid", "Hyundai Creta", "Renault Logan", "Kia Sportage",
        "Toyota RAV4", "Haval Jolion", "Chery Tiggo 7 Pro", "Lada Niva Travel",
    ),
    "GB": (
        "Ford Fiesta", "VW Golf", "Vauxhall Corsa", "Nissan Qashqai", "BMW 3 Series",
        "Toyota Yaris", "Kia Sportage", "Skoda Octavia", "Mini Cooper", "Tesla Model 3",
    ),
}  # fmt: skip

# Letters that look the same in Cyrillic and Latin: the only ones on a Russian plate.
RU_PLATE_LETTERS = "АВЕКМНОРСТУХ"
# A UK plate: area code (no I, Q, Z), age identifier, three random letters (no I, Q).
UK_AREA_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
UK_RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
UK_AGE_IDENTIFIERS = ("15", "65", "16", "66", "17", "67", "18", "68", "19", "69", "20", "70")
UK_AGE_IDENTIFIERS += ("21", "71", "22", "72", "23", "73", "24", "74")

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
VIN_YEAR_CODES = "EFGHJKLMNPRS"  # model years 2014..2025

# --- home addresses ------------------------------------------------------------------------

STREETS: dict[str, tuple[str, ...]] = {
    "Новосибирск": (
        "Красный проспект", "ул. Ленина", "ул. Кирова", "ул. Гоголя", "ул. Фрунзе",
        "ул. Советская", "ул. Богдана Хмельницкого", "ул. Титова", "ул. Выборная",
        "ул. Петухова", "ул. Блюхера", "ул. Российская", "ул. Дуси Ковальчук", "ул. Челюскинцев",
        "ул. Сибиряков-Гвардейцев", "ул. Плахотного", "Красногорская ул.", "ул. Есенина",
    ),
    "Москва": (
        "ул. Профсоюзная", "Ленинский проспект", "ул. Новый Арбат", "ул. Тверская",
        "Кутузовский проспект", "ул. Мясницкая", "ул. Остоженка", "ул. Маросейка",
    ),
}  # fmt: skip
