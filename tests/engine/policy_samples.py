"""Sample policy documents for the tests and the benchmark: edition 3 of the real policy, addition
PA-2026-00002 that made it, and kk and ru catalogs of the documents' labels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from processes.policy_amendment.documents import (
    AdditionDocument,
    AdditionRef,
    ChangeLine,
    CouncilRecord,
    EditionClause,
    EditionDocument,
    Signatory,
)
from processes.policy_amendment.policy_text import load_policy

# The msgids of policy_edition.html and policy_addition.html with their glossary translations; those
# other documents or the web interface already use keep their existing translations. The web catalogs
# carry the same entries (tested in tests/engine/test_policy_documents.py).
CATALOG = {
    "M. Dulatov Kostanay Engineering and Economics University": (
        "М. Дулатов атындағы Қостанай инженерлік-экономикалық университеті",
        "Костанайский инженерно-экономический университет имени М. Дулатова",
    ),
    "Information Policy": ("Ақпараттық саясат", "Информационная политика"),
    "Edition %(n)s": ("%(n)s-редакция", "Редакция %(n)s"),
    "Section %(n)s": ("%(n)s-бөлім", "Раздел %(n)s"),
    "Effective date": ("Күшіне ену күні", "Дата вступления в силу"),
    "Date of approval": ("Бекітілген күні", "Дата утверждения"),
    "Original text": ("Бастапқы мәтін", "Первоначальный текст"),
    "Registration number": ("Тіркеу нөмірі", "Регистрационный номер"),
    "Made by the addition": ("Редакцияны енгізген толықтыру", "Редакция введена дополнением"),
    "A bar in the margin marks the clauses changed or added in this edition.": (
        "Осы редакцияда өзгертілген немесе қосылған тармақтар жиектегі сызықпен белгіленген.",
        "Пункты, изменённые или добавленные в этой редакции, отмечены чертой на полях.",
    ),
    "Contents": ("Мазмұны", "Содержание"),
    "Additions to the Information Policy": (
        "Ақпараттық саясатқа толықтырулар",
        "Дополнения к Информационной политике",
    ),
    "New edition": ("Жаңа редакция", "Новая редакция"),
    "Changes": ("Өзгерістер", "Изменения"),
    "The policy has no additions yet: this is its original text.": (
        "Саясатқа әзірге толықтырулар енгізілген жоқ: бұл оның бастапқы мәтіні.",
        "Дополнений к политике пока нет: это её первоначальный текст.",
    ),
    "Verification code": ("Тексеру коды", "Код проверки"),
    "To check this edition of the policy, scan the QR code or open:": (
        "Саясаттың осы редакциясын тексеру үшін QR-кодты сканерлеңіз немесе мына мекенжайды ашыңыз:",
        "Для проверки этой редакции политики отсканируйте QR-код или откройте адрес:",
    ),
    # the addition
    "Addition No. %(number)s to the Information Policy": (
        "Ақпараттық саясатқа № %(number)s толықтыру",
        "Дополнение № %(number)s к Информационной политике",
    ),
    "In accordance with §14.3 of the Information Policy, all changes and additions to the "
    "policy are approved by decision of the management of the University.": (
        "Ақпараттық саясаттың §14.3-тармағына сәйкес саясатқа барлық өзгерістер мен "
        "толықтырулар Университет басшылығының шешімімен бекітіледі.",
        "В соответствии с §14.3 Информационной политики все изменения и дополнения к "
        "политике утверждаются решением руководства Университета.",
    ),
    "Amended edition": ("Өзгертілетін редакция", "Изменяемая редакция"),
    "Proposal": ("Ұсыныс", "Предложение"),
    "Rationale": ("Негіздеме", "Обоснование"),
    "Clause": ("Тармақ", "Пункт"),
    "Previous text": ("Бұрынғы мәтін", "Прежний текст"),
    "New text": ("Жаңа мәтін", "Новый текст"),
    "Clause added": ("Тармақ қосылды", "Пункт добавлен"),
    "Clause changed": ("Тармақ өзгертілді", "Пункт изменён"),
    "Clause removed": ("Тармақ алып тасталды", "Пункт исключён"),
    "Academic Council (§7.1)": ("Ғылыми кеңес (§7.1)", "Учёный совет (§7.1)"),
    "Adoption by the Academic Council was not required.": (
        "Ғылыми кеңестің қабылдауы талап етілмеді.",
        "Принятие Учёным советом не требовалось.",
    ),
    "Meeting date": ("Отырыс күні", "Дата заседания"),
    "Decision": ("Шешім", "Решение"),
    "Votes for": ("Жақтап", "За"),
    "Votes against": ("Қарсы", "Против"),
    "Abstained": ("Қалыс қалғандар", "Воздержались"),
    "Signatories": ("Қол қойғандар", "Подписавшие"),
    "Proposer": ("Ұсыныс бастамашысы", "Инициатор предложения"),
    "Marketing and Communications Department (MCD)": (
        "Маркетинг және коммуникациялар бөлімі (МКБ)",
        "Отдел маркетинга и коммуникаций (ОМК)",
    ),
    "Academic Council secretary": ("Ғылыми кеңес хатшысы", "Секретарь Учёного совета"),
    "Rector": ("Ректор", "Ректор"),
    "Proposed": ("Ұсынылды", "Предложено"),
    "Reviewed and consolidated": ("Қаралды және біріктірілді", "Рассмотрено и обобщено"),
    "Adopted": ("Қабылданды", "Принято"),
    "Not adopted": ("Қабылданбады", "Не принято"),
    "Adoption not required": ("Қабылдау талап етілмеді", "Принятие не требовалось"),
    "Approved": ("Бекітілді", "Утверждено"),
    "To check this addition, scan the QR code or open:": (
        "Толықтыруды тексеру үшін QR-кодты сканерлеңіз немесе мына мекенжайды ашыңыз:",
        "Для проверки дополнения отсканируйте QR-код или откройте адрес:",
    ),
}

APPROVED = datetime(2026, 5, 11, 4, 30, tzinfo=UTC)  # 09:30 in Almaty
EFFECTIVE = date(2026, 5, 12)
NEW_7_10_2 = (
    "МКБ шұғыл сұрау салуларына жауап жедел (2 сағаттан аспайтын уақыт ішінде) берілуі тиіс. "
    "Ағымдағы сұрау салуға жауап күнтізбелік 3 күн ішінде жіберілуі тиіс."
)
NEW_7_10_5 = (
    "Құрылымдық бөлімшелер МКБ сұрау салуларына жауапты Kelisim жүйесі арқылы береді:\n"
    "· жауапты тұлғаны көрсете отырып;\n"
    "· белгіленген мерзімде."
)
SIGNATORIES = ("Серік Болатұлы Жұмабаев", "Айгерім Болатқызы Сейітова", "Гүлнар Серікқызы Омарова",
               "Ержан Серікұлы Әбдіров")
VERIFY = "https://kelisim.kineu.edu.kz/verify/"


def write_catalogs(directory: Path) -> Path:
    """Compile kk and ru catalogs of the policy documents' msgids into ``directory``."""
    for index, lang in enumerate(("kk", "ru")):
        catalog = Catalog(locale=lang, domain="messages")
        for msgid, translations in CATALOG.items():
            catalog.add(msgid, translations[index])
        target = directory / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / "messages.mo", "wb") as mo_file:
            write_mo(mo_file, catalog)
    return directory


def policy_clauses() -> dict[str, str]:
    """The real policy's clauses (processes/policy/information-policy.kk.txt), number -> text."""
    return {clause.number: clause.text for clause in load_policy().clauses}


def make_edition(number: int = 3, **changes: object) -> EditionDocument:
    """Build an edition of the real policy text.

    Edition 3 is the text after addition PA-2026-00002 (7.10.2 changed, 7.10.5 added, 11.3
    removed); edition 1 is the original text.
    """
    policy = load_policy()
    clauses = []
    for clause in policy.clauses:
        if number >= 3 and clause.number == "11.3":
            continue
        if number >= 3 and clause.number == "7.10.2":
            clauses.append(EditionClause("7.10.2", NEW_7_10_2, True))
            continue
        clauses.append(EditionClause(clause.number, clause.text, False))
        if number >= 3 and clause.number == "7.10.4":
            clauses.append(EditionClause("7.10.5", NEW_7_10_5, True))
    additions = [
        AdditionRef(2, "PA-2026-00001", datetime(2026, 3, 2, 6, 0, tzinfo=UTC), date(2026, 3, 2),
                    "3.8 changed"),
        AdditionRef(3, "PA-2026-00002", APPROVED, EFFECTIVE,
                    "7.10.2 changed; 7.10.5 added; 11.3 removed"),
    ][: number - 1]
    fields: dict[str, object] = {
        "number": number,
        "effective_from": additions[-1].effective_from if additions else date(2021, 9, 1),
        "approved_at": additions[-1].approved_at if additions else None,
        "preamble": policy.preamble,
        "sections": policy.sections,
        "clauses": tuple(clauses),
        "additions": tuple(additions),
        "reg_number": f"PE-2026-{number:05d}",
        "verification_code": "Q7KD-2M9X-PA3D",
        "verify_url": VERIFY + "Q7KD-2M9X-PA3D",
    }
    fields.update(changes)
    return EditionDocument(**fields)  # type: ignore[arg-type]


def make_addition(**changes: object) -> AdditionDocument:
    """Build addition PA-2026-00002, which made edition 3 from edition 2."""
    clauses = policy_clauses()
    fields: dict[str, object] = {
        "reg_number": "PA-2026-00002",
        "edition": 3,
        "base_edition": 2,
        "approved_at": APPROVED,
        "effective_from": EFFECTIVE,
        "proposal": "No. 12",
        "rationale": "МКБ сұрау салуларына жауап беру мерзімдері қысқартылды.\n"
                     "Жауаптар енді жүйе арқылы беріледі.",
        "changes": (
            ChangeLine("7.10.2", "changed", clauses["7.10.2"], NEW_7_10_2),
            ChangeLine("7.10.5", "added", "", NEW_7_10_5),
            ChangeLine("11.3", "removed", clauses["11.3"], ""),
        ),
        "council": CouncilRecord(True, date(2026, 5, 6), "adopted", 27, 3, 4),
        "signatories": (
            Signatory("proposer", SIGNATORIES[1], "Стратегиялық даму жөніндегі проректор",
                      "proposed", datetime(2026, 4, 1, 5, 0, tzinfo=UTC)),
            Signatory("mcd", SIGNATORIES[3], "Маркетинг және коммуникациялар бөлімінің бастығы",
                      "consolidated", datetime(2026, 4, 10, 6, 15, tzinfo=UTC)),
            Signatory("council_secretary", SIGNATORIES[2], "Ғылыми кеңес хатшысы", "adopted",
                      datetime(2026, 5, 6, 9, 0, tzinfo=UTC)),
            Signatory("rector", SIGNATORIES[0], "Ректор", "approved", APPROVED),
        ),
        "verification_code": "A3KD-8QZ2-TW7N",
        "verify_url": VERIFY + "A3KD-8QZ2-TW7N",
    }
    fields.update(changes)
    return AdditionDocument(**fields)  # type: ignore[arg-type]
