"""The demo organisation of docs/API.md; running it twice changes nothing."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import accounts, audit
from storage.models import Unit, UnitMembership, UnitParentHistory, User

UNITS = [
    ("FE", "Инженерлік факультеті", "Инженерный факультет", "Faculty of Engineering", None),
    ("FE-IS", "Ақпараттық жүйелер кафедрасы", "Кафедра информационных систем",
     "Department of Information Systems", "FE"),
    ("MCD", "Маркетинг және коммуникациялар бөлімі", "Отдел маркетинга и коммуникаций",
     "Marketing and Communications Department", None),
    ("RECTORATE", "Ректорат", "Ректорат", "Rectorate", None),
    ("REGISTRY", "Кеңсе", "Канцелярия", "Chancellery", None),
    ("AMD", "Оқу-әдістемелік басқармасы", "Учебно-методическое управление",
     "Academic-Methodological Department", None),
]

# the kind of each demo unit and the username of its head (None: nobody named)
UNIT_DETAILS = {"FE": ("faculty", "dean.engineering"), "FE-IS": ("department", "unit.head"),
                "MCD": ("office", "mcd.head"), "RECTORATE": ("office", "rector"), "REGISTRY": ("office", None),
                "AMD": ("office", "amd.head")}

# username, full name, position (kk, ru, en), roles, unit, area, seniority (lower is more senior)
USERS = [
    ("employee", "Әсел Нұрланқызы Қанатова",
     {"kk": "Аға оқытушы", "ru": "Старший преподаватель", "en": "Senior lecturer"},
     ["employee"], "FE-IS", None, 1000),
    ("employee2", "Дмитрий Сергеевич Ковалёв",
     {"kk": "Оқытушы", "ru": "Преподаватель", "en": "Lecturer"},
     ["employee"], "FE-IS", None, 1000),
    ("unit.head", "Ғалым Серікұлы Жақсыбеков",
     {"kk": "Ақпараттық жүйелер кафедрасының меңгерушісі", "ru": "Заведующий кафедрой информационных систем",
      "en": "Head of the Department of Information Systems"},
     ["employee", "unit_head"], "FE-IS", None, 500),
    ("mcd.specialist", "Айгерім Болатқызы Сейітова",
     {"kk": "Маркетинг және коммуникациялар бөлімінің маманы",
      "ru": "Специалист отдела маркетинга и коммуникаций", "en": "MCD specialist"},
     ["employee", "mcd_specialist"], "MCD", None, 900),
    ("mcd.head", "Марат Ерланұлы Тоқтаров",
     {"kk": "Маркетинг және коммуникациялар бөлімінің басшысы",
      "ru": "Начальник отдела маркетинга и коммуникаций", "en": "Head of MCD"},
     ["employee", "mcd_head", "public_person"], "MCD", None, 40),
    ("rector", "Бақыт Әбдірахманұлы Дүйсенов",
     {"kk": "Ректор", "ru": "Ректор", "en": "Rector"},
     ["employee", "rector", "public_person"], "RECTORATE", None, 10),
    ("vr.finance", "Гүлнар Маратқызы Әлиева",
     {"kk": "Қаржы және экономика жөніндегі проректор", "ru": "Проректор по финансам и экономике",
      "en": "Vice-rector for finance and economy"},
     ["employee", "vice_rector", "public_person"], "RECTORATE", "finance", 20),
    ("vr.academic", "Сергей Викторович Петров",
     {"kk": "Оқу ісі жөніндегі проректор", "ru": "Проректор по учебной работе",
      "en": "Vice-rector for academic affairs"},
     ["employee", "vice_rector", "public_person"], "RECTORATE", "academic", 20),
    ("dean.engineering", "Ержан Қайратұлы Омаров",
     {"kk": "Инженерлік факультетінің деканы", "ru": "Декан инженерного факультета",
      "en": "Dean of the Faculty of Engineering"},
     ["employee", "dean", "public_person"], "FE", None, 30),
    ("registry", "Жанна Әміржанқызы Бекова",
     {"kk": "Кеңсе іс жүргізушісі", "ru": "Делопроизводитель канцелярии", "en": "Registry clerk"},
     ["employee", "registry_clerk"], "REGISTRY", None, 1000),
    ("council.secretary", "Ольга Николаевна Ким",
     {"kk": "Ғылыми кеңестің хатшысы", "ru": "Секретарь Учёного совета", "en": "Academic Council secretary"},
     ["employee", "council_secretary"], "RECTORATE", None, 1000),
    ("amd.head", "Нұржан Бауыржанұлы Исаев",
     {"kk": "Оқу-әдістемелік басқармасының басшысы", "ru": "Начальник учебно-методического управления",
      "en": "Head of the Academic-Methodological Department"},
     ["employee", "amd_head"], "AMD", None, 500),
    ("auditor", "Лаура Ғаниқызы Мұқанова",
     {"kk": "Ішкі аудитор", "ru": "Внутренний аудитор", "en": "Internal auditor"},
     ["auditor"], None, None, 1000),
    ("admin", "Kelisim Administrator",
     {"kk": "Жүйе әкімшісі", "ru": "Системный администратор", "en": "System administrator"},
     ["admin"], None, None, 1000),
]


def seed_demo(session: Session, password: str) -> int:
    """Create the demo units and accounts that are missing; return how many accounts were added."""
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    for code, kk, ru, en, parent in UNITS:
        if code not in units:
            units[code] = Unit(code=code, name_kk=kk, name_ru=ru, name_en=en,
                               parent_id=units[parent].id if parent else None)
            session.add(units[code])
            session.flush()
    added = 0
    for username, name, position, roles, unit, area, seniority in USERS:
        if accounts.find_user(session, username) is not None:
            continue
        accounts.create_user(session, username, name, password, roles, position_kk=position["kk"],
                             position_ru=position["ru"], position_en=position["en"],
                             unit_id=units[unit].id if unit else None, area=area, seniority=seniority,
                             email=f"{username}@kineu.example")
        added += 1
    _unit_details(session, units)
    if added:
        audit.append(session, audit.Actor.system(), "demo_seeded", data={"accounts": added})
    return added


def _unit_details(session: Session, units: dict[str, Unit]) -> None:
    """The demo units' kinds and heads where not set yet, and the history rows of what has none."""
    for code, (kind, head) in UNIT_DETAILS.items():
        unit = units.get(code)
        if unit is None:
            continue
        if unit.kind != kind and unit.kind == "office":  # the default: set once, an administrator's choice stays
            unit.kind = kind
        if unit.head_id is None and head:
            user = accounts.find_user(session, head)
            if user is not None:
                unit.head_id = user.id
    placed = set(session.execute(select(UnitParentHistory.unit_id)).scalars())
    for unit in units.values():
        if unit.id not in placed:
            session.add(UnitParentHistory(unit_id=unit.id, parent_id=unit.parent_id, started_at=None))
    members = set(session.execute(select(UnitMembership.user_id)).scalars())
    for user in session.execute(select(User).where(User.unit_id.is_not(None))).scalars().unique():
        if user.id not in members:
            session.add(UnitMembership(user_id=user.id, unit_id=user.unit_id, started_at=user.created_at))
    session.flush()
