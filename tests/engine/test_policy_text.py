"""The policy text parsed into clauses, and the word-level diff between editions (pure functions)."""
from __future__ import annotations

import random
import re

import pytest

from processes.policy_amendment.policy_text import (
    CLAUSE_NUMBER,
    POLICY_PATH,
    Clause,
    ClauseChange,
    clause_key,
    diff_editions,
    is_clause_number,
    load_policy,
    parent_of,
    parse_policy,
    section_of,
    word_diff,
)

SOURCE_LINES = POLICY_PATH.read_text(encoding="utf-8").splitlines()
POLICY = load_policy()
TEXTS = {clause.number: clause.text for clause in POLICY.clauses}


def source_line(number: str) -> str:
    """The one line of the file that opens clause `number`, with its number and separator removed."""
    found = [line for line in SOURCE_LINES if re.match(rf"\s*{re.escape(number)}[ \t]", line)]
    assert len(found) == 1, found
    return re.sub(rf"^\s*{re.escape(number)}[ \t]", "", found[0]).strip()


# --- the real text ---------------------------------------------------------------------------------

# 88 clauses. Counted by reading the file section by section:
#   1: 1.1–1.6 (6)   2: 2.1–2.5 (5)
#   3: 3.1, 3.1.1–3.1.6, 3.2, 3.2.1–3.2.6, 3.3–3.9 (1 + 6 + 1 + 6 + 7 = 21)
#   4: 4.1, 4.1.1, 4.1.2, 4.2 (4)   5: 5.1, 5.2 (2)   6: 6.1–6.5 (5)
#   7: 7.1–7.10, 7.10.1–7.10.4 (10 + 4 = 14)   8: 8.1–8.6 (6)   9: 9.1–9.8 (8)
#   10: 10.1–10.3 (3)   11: 11.1–11.4 (4)   12: 12.1–12.3 (3)   13: 13.1–13.3 (3)   14: 14.1–14.4 (4)
#   6 + 5 + 21 + 4 + 2 + 5 + 14 + 6 + 8 + 3 + 4 + 3 + 3 + 4 = 88
# and cross-checked with `grep -cP '^\s*\d{1,2}(\.\d{1,2}){1,3}\s'` on the file (88 lines; every line
# starting with a digit is either one of them or one of the 3 section headings 7, 9 and 12).
CLAUSE_COUNT = 88
PER_SECTION = {1: 6, 2: 5, 3: 21, 4: 4, 5: 2, 6: 5, 7: 14, 8: 6, 9: 8, 10: 3, 11: 4, 12: 3, 13: 3, 14: 4}


def numbers_of(section: int) -> list[str]:
    return [c.number for c in POLICY.clauses if section_of(c.number) == section]


def test_the_real_text_has_88_clauses_in_14_sections():
    assert len(POLICY.clauses) == CLAUSE_COUNT == sum(PER_SECTION.values())
    assert {s: len(numbers_of(s)) for s in PER_SECTION} == PER_SECTION
    assert all(isinstance(c, Clause) and is_clause_number(c.number) for c in POLICY.clauses)
    assert len({c.number for c in POLICY.clauses}) == CLAUSE_COUNT
    # every line of the file opening a clause, counted independently of the parser
    assert sum(bool(re.match(r"\s*\d{1,2}(\.\d{1,2}){1,3}\s", line)) for line in SOURCE_LINES) == CLAUSE_COUNT


def test_clauses_are_in_document_order():
    keys = [clause_key(c.number) for c in POLICY.clauses]
    assert keys == sorted(keys)


def test_every_non_blank_line_lands_exactly_once():
    """Preamble lines + heading lines + the lines of all clauses = the non-blank lines of the file."""
    non_blank = [line for line in SOURCE_LINES if line.strip()]
    parsed = (len(POLICY.preamble.split("\n")) + len(POLICY.sections)
              + sum(len(c.text.split("\n")) for c in POLICY.clauses))
    assert parsed == len(non_blank)
    assert not any(line == "" for c in POLICY.clauses for line in c.text.split("\n"))


def test_section_3_and_14_numbers():
    assert numbers_of(3) == [
        "3.1", "3.1.1", "3.1.2", "3.1.3", "3.1.4", "3.1.5", "3.1.6",
        "3.2", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6",
        "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
    ]
    assert numbers_of(14) == ["14.1", "14.2", "14.3", "14.4"]
    assert numbers_of(7) == ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10",
                             "7.10.1", "7.10.2", "7.10.3", "7.10.4"]
    assert numbers_of(4) == ["4.1", "4.1.1", "4.1.2", "4.2"]  # "4.2\t…": a TAB after the number
    assert POLICY.clauses[0].number == "1.1" and POLICY.clauses[-1].number == "14.4"


def test_text_of_7_10_2_is_its_line():
    assert TEXTS["7.10.2"] == source_line("7.10.2")
    assert TEXTS["7.10.2"].startswith("МКБ шұғыл сұрау салуларына жауап жедел (3 сағаттан аспайтын уақыт ішінде)")
    assert TEXTS["7.10.2"].endswith("жауап күнтізбелік 3 күн ішінде жіберілуі тиіс.")


def test_text_of_11_2_and_14_4():
    assert TEXTS["11.2"] == (
        "Көрсетілген құжаттар мен ақпарат немесе негізделген және ҚР қолданыстағы заңнамасына қайшы "
        "келмейтін ақпарат беруден бас тарту Мүдделі тұлғаларға, егер ақпаратты ұсынудың өзге мерзімі мен "
        "тәртібі ҚР қолданыстағы заңнамасында белгіленбесе, Университет орналасқан жер бойынша 10 жұмыс "
        "күні ішінде беріледі."
    ) == source_line("11.2")
    assert TEXTS["14.4"] == (
        "Осы Саясатқа өзгерістер енгізу туралы ұсыныстарды университет ректоры, проректорлары, "
        "Оқу-әдістемелік басқармасы, маркетинг және коммуникациялар Бөлімі және т. б. енгізеді. "
        "Өзгерістер мен толықтыруларды қарау және енгізу тәртібі Университет жұмысының ішкі "
        "регламентімен белгіленеді."
    ) == source_line("14.4")


def test_7_1_keeps_its_three_bullets_as_written():
    assert TEXTS["7.1"] == "\n".join([
        "Университет ректоры:",
        "-\tУниверситеттің ақпараттық саясатын (қажет болған жағдайда Ғылыми кеңес қабылдағаннан кейін) "
        "бекітеді;",
        "· Университеттің ақпараттық себеп бағдарламасын (PR жоспары)бекітеді;",
        "· ҚИнЭУ сайтымен жұмыс істеу бойынша ережені бекітеді.",
    ])


def test_sub_heading_and_blank_lines_stay_in_their_clause():
    lines = TEXTS["5.1"].split("\n")
    assert lines[0] == "Сыртқы мақсатты аудиториялар:"
    assert "Ішкі мақсатты аудиториялар:" in lines  # " Ішкі …" in the file: an unnumbered sub-heading
    assert lines[-1] == "· әкімшілік-басқару және техникалық персонал."
    assert len(lines) == 17
    assert TEXTS["5.2"].startswith("Шетелдік мақсатты аудиториялар:\n· азаматтық қоғам институттары;")
    # a blank line follows 3.8 and 7.10.3 in the file
    assert TEXTS["3.8"].count("\n") == 0 and TEXTS["7.10.3"].count("\n") == 0
    assert TEXTS["8.6"].count("\n") == 0  # the blank line and heading 9 after it are not part of it


def test_section_headings_without_bookmark_artefacts():
    assert POLICY.sections == {
        7: "ӨКІЛЕТТІКТЕР МЕН ЖАУАПКЕРШІЛІКТІ БӨЛУ",
        9: "УНИВЕРСИТЕТТІҢ АҚПАРАТТЫҚ РЕСМИ САЙТЫНДА АҚПАРАТТЫ АШУ",
        12: "УНИВЕРСИТЕТТІҢ КОММЕРЦИЯЛЫҚ НЕМЕСЕ ҚЫЗМЕТТІК ҚҰПИЯСЫ БАР АҚПАРАТ",
    }
    everything = [POLICY.preamble, *POLICY.sections.values(), *TEXTS.values()]
    assert not any("bookmark" in text or "[" in text for text in everything)
    # the one artefact inside a clause: "· [bookmark: _GoBack]өз құзыреті шегінде …" in 7.8
    assert "\n· өз құзыреті шегінде және университет мүддесі үшін" in TEXTS["7.8"]


def test_preamble():
    assert POLICY.preamble.startswith("Осы ақпараттық саясат М. Дулатов атындағы")
    assert "1.1" not in POLICY.preamble
    lines = POLICY.preamble.split("\n")
    assert len(lines) == 25
    assert "МКБ – маркетинг және коммуникациялар бөлімі" in lines
    assert lines[-1].startswith("Оқиғалар, ҚИнЭУ арнайы іс-шаралары")
    assert all(line == line.strip() and line for line in lines)


# --- parsing rules on small texts --------------------------------------------------------------------

def test_parse_small_text():
    parsed = parse_policy(
        "Кіріспе.\n\n 1.1 Бірінші.\n-\tбіреу\n · екеу \n1.2\tЕкінші.\n2 [bookmark: _x]  ЕКІНШІ   БӨЛІМ \n"
        "2.1 Үшінші.\n2.1.1 Төртінші.\n")
    assert parsed.preamble == "Кіріспе."
    assert parsed.sections == {2: "ЕКІНШІ БӨЛІМ"}
    assert parsed.clauses == (
        Clause("1.1", "Бірінші.\n-\tбіреу\n· екеу"), Clause("1.2", "Екінші."),
        Clause("2.1", "Үшінші."), Clause("2.1.1", "Төртінші."),
    )


def test_lines_starting_with_other_numbers_are_text():
    parsed = parse_policy(
        "1.1 Бірінші:\n"
        "2007 жылғы 27 шілдедегі Заң;\n"      # a year
        "07.1 нөлмен басталатын сан\n"        # a leading zero
        "5.3 бөлімнен тыс нөмір\n"            # section 5 while in section 1: implausible
        "3 күн ішінде\n"                      # a number, then lowercase text: not a heading
        "1.2.3.4.5 тым көп бөлік\n"           # 5 parts
        "1.2 Екінші.\n")
    assert [c.number for c in parsed.clauses] == ["1.1", "1.2"]
    assert parsed.clauses[0].text.split("\n") == [
        "Бірінші:", "2007 жылғы 27 шілдедегі Заң;", "07.1 нөлмен басталатын сан", "5.3 бөлімнен тыс нөмір",
        "3 күн ішінде", "1.2.3.4.5 тым көп бөлік"]
    assert parsed.sections == {}


def test_first_clause_must_open_section_1_and_sections_advance_by_one():
    parsed = parse_policy("2.5 млн теңге — кіріспеде\n1.1 Бірінші.\n2.1 Екінші.\n4.1 Төртінші?\n")
    assert parsed.preamble == "2.5 млн теңге — кіріспеде"
    assert [c.number for c in parsed.clauses] == ["1.1", "2.1"]
    assert parsed.clauses[-1].text == "Екінші.\n4.1 Төртінші?"


def test_duplicate_clause_number_raises_naming_the_line():
    with pytest.raises(ValueError, match=r"line 4: duplicate clause number 1\.2 \(first on line 2\)"):
        parse_policy("1.1 А.\n1.2 Ә.\n\n1.2 Б.\n")


def test_windows_line_ends_and_a_byte_order_mark(tmp_path):
    crlf = tmp_path / "policy.txt"
    crlf.write_bytes("\ufeff".encode() + "\r\n".join(SOURCE_LINES).encode("utf-8"))
    assert load_policy(crlf) == POLICY


def test_parse_is_whole_file_equivalent():
    assert parse_policy(POLICY_PATH.read_text(encoding="utf-8")) == POLICY


# --- clause numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("good", ["1.1", "7.10", "7.10.2", "1.2.3.4", "14.4", "123.456"])
def test_valid_numbers(good):
    assert is_clause_number(good) and CLAUSE_NUMBER.fullmatch(good)


@pytest.mark.parametrize("bad", ["7.", "07.1", "1", "a.b", "1.2.3.4.5", "", " 7.1", "7.1 ", "7..1", ".7.1",
                                 "7.01", "7.0", "1234.1", "7,1", "٧.١", "1٢.1", "7.1\n"])
def test_malformed_numbers_refused(bad):
    assert not is_clause_number(bad)
    with pytest.raises(ValueError):
        clause_key(bad)
    with pytest.raises(ValueError):
        section_of(bad)
    with pytest.raises(ValueError):
        parent_of(bad)


@pytest.mark.parametrize("value", [None, 7.1, 71, b"7.1", ["7", "1"]])
def test_non_strings_are_not_clause_numbers(value):
    assert not is_clause_number(value)


def test_clause_key_orders_numerically():
    assert clause_key("7.10") > clause_key("7.9")
    assert clause_key("10.1") > clause_key("9.8")
    assert clause_key("7.10.2") == (7, 10, 2)
    assert sorted(["10.1", "7.10", "7.9", "9.8", "7.10.1", "7.1", "3.1.6", "3.2"], key=clause_key) == [
        "3.1.6", "3.2", "7.1", "7.9", "7.10", "7.10.1", "9.8", "10.1"]


def test_parent_and_section():
    assert parent_of("7.10.2") == "7.10"
    assert parent_of("1.2.3.4") == "1.2.3"
    assert parent_of("7.10") is None
    assert section_of("7.10.2") == 7 and section_of("14.4") == 14
    for clause in POLICY.clauses:  # every sub-clause of the real text has its parent in the text
        parent = parent_of(clause.number)
        assert parent is None or parent in TEXTS


# --- word diff ----------------------------------------------------------------------------------------

def sides(segments) -> tuple[str, str]:
    old = "".join(text for op, text in segments if op in ("equal", "delete"))
    new = "".join(text for op, text in segments if op in ("equal", "insert"))
    return old, new


def well_formed(segments) -> bool:
    ops = [op for op, _ in segments]
    return (all(text for _, text in segments) and all(op in ("equal", "insert", "delete") for op in ops)
            and all(a != b for a, b in zip(ops, ops[1:], strict=False)))


def test_one_word_changed_in_kazakh_text():
    old = "Университет қызметі туралы ақпаратты ашу Университет Жарғысы бойынша жүзеге асырылады."
    new = "Университет қызметі туралы құжаттарды ашу Университет Жарғысы бойынша жүзеге асырылады."
    assert word_diff(old, new) == [
        ("equal", "Университет қызметі туралы "), ("delete", "ақпаратты"), ("insert", "құжаттарды"),
        ("equal", " ашу Университет Жарғысы бойынша жүзеге асырылады."),
    ]


def test_word_diff_insertion_deletion_and_edges():
    assert word_diff("", "") == []
    assert word_diff("бірдей", "бірдей") == [("equal", "бірдей")]
    assert word_diff("", "жаңа") == [("insert", "жаңа")]
    assert word_diff("ескі", "") == [("delete", "ескі")]
    assert word_diff("МКБ жауап береді.", "МКБ жедел жауап береді.") == [
        ("equal", "МКБ "), ("insert", "жедел "), ("equal", "жауап береді.")]
    # punctuation is its own token: a full stop becoming a semicolon is one small change
    assert word_diff("бекітеді.", "бекітеді;") == [("equal", "бекітеді"), ("delete", "."), ("insert", ";")]
    # a replaced phrase is one deletion and one insertion, not word by word around the spaces
    assert word_diff("3 сағат ішінде жедел", "5 жұмыс күні жедел") == [
        ("delete", "3 сағат ішінде"), ("insert", "5 жұмыс күні"), ("equal", " жедел")]


def test_word_diff_round_trips_on_random_cases():
    """Hand-rolled property test (no `hypothesis` in the venv): 1,500 random pairs of texts."""
    rng = random.Random(20261201)
    words = ["университет", "ақпарат", "МКБ", "ҚИнЭУ", "БАҚ", "және", "туралы", "3", "2007", "т.", "б.",
             "іс-шара", "Ғылыми", "кеңес", "өзгеріс", "a", "ab", "x_y", "ӘҒҚҢӨҰҮҺІ", "ёъ"]
    seps = [" ", " ", " ", "  ", "\n", "\t", "\n· ", ", ", ". ", "; ", " – ", "(", ")", "«", "»", '"', "-", ""]

    def text() -> str:
        return "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(0, 25)))

    def mutate(s: str) -> str:
        chars = list(s)
        for _ in range(rng.randint(0, 6)):
            kind = rng.random()
            at = rng.randint(0, len(chars))
            if kind < 0.4:
                chars[at:at] = list(rng.choice(words) + rng.choice(seps))
            elif kind < 0.8 and chars:
                del chars[at:at + rng.randint(1, 12)]
            elif chars:
                chars[at:at + rng.randint(1, 8)] = list(rng.choice(words))
        return "".join(chars)

    for _ in range(1500):
        old = text()
        new = mutate(old) if rng.random() < 0.8 else text()
        segments = word_diff(old, new)
        assert sides(segments) == (old, new), (old, new, segments)
        assert well_formed(segments), segments
        # within a change the deletion comes first
        ops = [op for op, _ in segments]
        assert not any(a == "insert" and b == "delete" for a, b in zip(ops, ops[1:], strict=False))
        if old == new:
            assert all(op == "equal" for op in ops)


def test_word_diff_on_every_clause_of_the_real_text():
    texts = list(TEXTS.values())
    for before, after in zip(texts, texts[1:], strict=False):
        segments = word_diff(before, after)
        assert sides(segments) == (before, after) and well_formed(segments)


# --- editions -------------------------------------------------------------------------------------------

def test_diff_editions_finds_added_changed_removed_and_ignores_equal():
    old = {"7.9": "МКБ бастығы жауапты.", "7.10": "Бөлімшелер ақпарат береді.", "9.8": "Өзгеріссіз.",
           "10.1": "Жойылатын тармақ."}
    new = {"7.9": "МКБ бастығы жауапты.", "7.10": "Бөлімшелер жедел ақпарат береді.", "9.8": "Өзгеріссіз.",
           "7.10.5": "Жаңа тармақ."}
    changes = diff_editions(old, new)
    assert [(c.number, c.kind) for c in changes] == [("7.10", "changed"), ("7.10.5", "added"),
                                                      ("10.1", "removed")]
    changed, added, removed = changes
    assert changed == ClauseChange("7.10", "changed", old["7.10"], new["7.10"], (
        ("equal", "Бөлімшелер "), ("insert", "жедел "), ("equal", "ақпарат береді.")))
    assert (added.before, added.after, added.segments) == ("", "Жаңа тармақ.", (("insert", "Жаңа тармақ."),))
    assert (removed.before, removed.after, removed.segments) == ("Жойылатын тармақ.", "",
                                                                 (("delete", "Жойылатын тармақ."),))
    assert diff_editions(old, old) == [] and diff_editions({}, {}) == []


def test_diff_editions_of_the_real_policy():
    assert diff_editions(TEXTS, dict(TEXTS)) == []
    new = dict(TEXTS)
    new["11.2"] = TEXTS["11.2"].replace("10 жұмыс күні", "5 жұмыс күні")
    del new["3.1.6"]
    new["14.5"] = "Саясат жыл сайын қайта қаралады."
    changes = diff_editions(TEXTS, new)
    assert [(c.number, c.kind) for c in changes] == [("3.1.6", "removed"), ("11.2", "changed"), ("14.5", "added")]
    assert [seg for seg in changes[1].segments if seg[0] != "equal"] == [("delete", "10"), ("insert", "5")]


def test_diff_editions_refuses_malformed_numbers():
    with pytest.raises(ValueError):
        diff_editions({"7.": "а"}, {})
