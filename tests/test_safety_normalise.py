"""The crisis matcher's normaliser: disguised spellings read as the words they show; plain numbers stay numbers."""

import pytest

from server.safety.crisis import ONE, CrisisList, load, normalise
from wire.text import has_visible

PHRASES = "scenarios/safety/crisis_phrases.yaml"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kill\u200d myself", "kill myself"),  # zero-width joiner
        ("k\u200bi\u200cl\u2060l myself", "kill myself"),  # zero-width space, non-joiner, word joiner
        ("sui\u00adcide", "suicide"),  # soft hyphen
        ("\ufeffsu\u200ei\u200f\u202ecide", "suicide"),  # BOM, bidi marks and overrides
        ("k\U000e0020ill", "kill"),  # a tag character
        ("d\u0131\u0301e", f"d{ONE}e"),  # dotless i with a combining accent
        ("díé", "die"),
        ("di\u0301e\u0300", "die"),  # accents, precomposed or combining
        ("s\u0336u\u0336icide", "suicide"),  # strike-through overlay marks
        ("kіll mуsеlf", "kill myself"),  # Cyrillic і у е
        ("КІLL МУЅЕLF", "kill myself"),  # Cyrillic capitals
        ("һurt", "hurt"),
        ("ԁie", "die"),
        ("ѕelf", "self"),
        ("јump", "jump"),
        ("вe", "be"),
        ("тнe", "the"),
        ("ΚΙLL ΜΥSΕLF", "kill myself"),  # Greek capitals
        ("κιll", "kill"),
        ("τoo", "too"),
        ("ρlan", "plan"),
        ("χ", "x"),
        ("οκ", "ok"),
        ("αεν", "aev"),
        ("Ｋｉｌｌ", "kill"),
        ("𝐤𝐢𝐥𝐥", "kill"),
        ("ﬁne", "fine"),  # compatibility forms (NFKC)
        ("k1ll", f"k{ONE}ll"),
        ("se1f", f"se{ONE}f"),  # 1 is i or l: the marker
        ("h0p3l3$$", "hopeless"),
        ("d34th", "death"),
        ("h@rm", "harm"),
        ("7ired", "tired"),
        ("my5elf", "myself"),
        ("I CAN\u2019T go on", "i cant go on"),
        ("can\uff07t", "cant"),
        ("can\u00b4t", "cant"),
    ],
)
def test_disguises_fold_to_the_plain_words(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "i will be there at 5",
        "room 101",
        "see you at 7 30",
        "call 116 123",
        "the 1st and the 3rd",
        "at 5pm",
        "the 90s",
        "4 of us",
        "0 7 3",
    ],
)
def test_plain_numbers_and_times_are_left_alone(text):
    assert normalise(text) == text


def test_phrases_and_lines_normalise_the_same_way_and_match_whole_words():
    c = load(PHRASES)
    assert c.match("I want to k1ll myself") == "end_life"
    assert c.match("I want to kil1 myse1f") == "end_life"  # either spelling of the 1
    assert c.match("I want to k11l myse1f") == "end_life"
    assert c.match("sk1ll myself") is None and c.match("skill myself") is None
    assert c.match("I killed it at 5") is None and c.match("room 101") is None
    custom = CrisisList("m", "t", "r", [("x", ["Ḱill  ME"]), ("y", ["kіll уou"])])  # accented / Cyrillic phrases
    assert custom.match("kill me now") == "x" and custom.match("K1LL ME") == "x"
    assert custom.match("I could kill you") == "y"
    assert custom.match("skill me") is None


def test_what_is_visible():
    for text in ["a", " . ", "\U0001f600", "\u200bhi", "漢", "\u0915\u094d"]:
        assert has_visible(text), repr(text)
    for text in ["", " ", "\u200b", "\u00ad\u200d", "\u3164", "\u2800", "\u0301", "\U000e0041", "\u2065", "\x00"]:
        assert not has_visible(text), repr(text)
