"""The client's translation catalogs (client/i18n.py, client/locale/): gettext catalogs, English and Spanish with
the same keys and placeholders, falling back to English and then to the key, never crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import i18n
from tools import catalogs

EN_PO = catalogs.CLIENT_LOCALE / "en" / "LC_MESSAGES" / "client.po"
ES_PO = catalogs.CLIENT_LOCALE / "es" / "LC_MESSAGES" / "client.po"


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_english_and_spanish_ship_with_the_same_keys_and_placeholders():
    assert i18n.LANGUAGES[:1] == ("en",) and "es" in i18n.LANGUAGES
    assert catalogs.problems([EN_PO, ES_PO]) == []
    assert catalogs.main(["check"]) == 0  # what `make lint` runs, over the dashboard's catalogs too


def _write_po(path: Path, language: str, strings: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogs.add_strings(path, strings)
    return path


def test_the_check_names_a_missing_key_a_lost_placeholder_and_an_untranslated_entry(tmp_path):
    en = _write_po(
        tmp_path / "en" / "LC_MESSAGES" / "client.po",
        "en",
        {"a.one": "One {name}", "a.two": "Two", "a.three": "Three", "a.count": ("{n} line", "{n} lines")},
    )
    es = _write_po(
        tmp_path / "es" / "LC_MESSAGES" / "client.po",
        "es",
        {"a.one": "Uno {nombre}", "a.three": "", "a.extra": "Extra", "a.count": "{n} líneas"},
    )
    found = "\n".join(catalogs.problems([en, es]))
    assert "missing 'a.two'" in found
    assert "'a.one' has placeholders ['nombre'], en has ['name']" in found
    assert "'a.three' is not translated" in found
    assert "'a.extra' is not in the en catalog" in found
    assert "'a.count' must be plural" in found
    assert catalogs.problems([en]) == []


def test_from_dict_moves_a_dict_of_strings_into_a_po_and_keeps_what_is_there(tmp_path):
    source = tmp_path / "i18n.py"
    source.write_text('EN: dict[str, str] = {"x.hello": "Hello {name}", "x.count": ("{n} row", "{n} rows")}\n')
    po = tmp_path / "en" / "LC_MESSAGES" / "client.po"
    assert catalogs.add_strings(po, catalogs.dict_literal(source.read_text(), "EN")) == ["x.hello", "x.count"]
    text = po.read_text()
    assert '#, python-brace-format\nmsgid "x.hello"\nmsgstr "Hello {name}"' in text
    assert 'msgid_plural "x.count"\nmsgstr[0] "{n} row"\nmsgstr[1] "{n} rows"' in text
    assert catalogs.add_strings(po, {"x.hello": "changed", "x.new": "New"}) == ["x.new"]
    assert 'msgstr "Hello {name}"' in po.read_text()  # an existing entry is never overwritten


def test_t_reads_the_chosen_language_and_falls_back_to_english_then_the_key(spanish, tmp_path, monkeypatch):
    assert i18n.t("quit.title") == "¿Salir de peerspace?"
    assert i18n.t("coach.due", seconds=12) == "Frase en 12 s"
    assert i18n.tn("scenario.earlier", 1) == "RePág: 1 línea anterior"
    assert i18n.tn("scenario.earlier", 3) == "RePág: 3 líneas anteriores"
    assert i18n.t("no.such.key") == "no.such.key"
    assert i18n.t("no.such.key", name="x") == "no.such.key"
    # a Spanish catalog missing a key shows English; a translation with a wrong field shows English, not a crash
    _write_po(tmp_path / "en" / "LC_MESSAGES" / "client.po", "en", {"k.a": "Only English", "k.b": "Hi {name}"})
    _write_po(tmp_path / "es" / "LC_MESSAGES" / "client.po", "es", {"k.b": "Hola {nombre}"})
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_cache", {})  # read from the .po: no .mo there
    assert i18n.t("k.a") == "Only English"
    assert i18n.t("k.b", name="Sam") == "Hi Sam"
    assert i18n.t("k.c") == "k.c"


def test_english_is_the_default_and_an_unshipped_language_is_english():
    i18n.set_language("xx")
    assert i18n.language() == "en" and i18n.t("quit.title") == "Quit peerspace?"
    assert i18n.tn("scenario.newer", 2) == "Page Down: 2 newer lines"
    assert i18n.language_name("es") == "Español" and i18n.language_name("en") == "English"


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "es_MX"}, "es"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:es", "LANG": "en_GB.UTF-8"}, "es"),
        ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_default_language_comes_from_the_os_locale_when_shipped(environ, code):
    assert i18n.default_language(environ) == code


def test_a_server_error_shows_the_clients_own_words_for_its_code_in_spanish(spanish):
    assert i18n.error_text("rate_limited", "Slow down: wait 3 s.") == (
        "Han sido muchas cosas a la vez. Espera un momento y vuelve a intentarlo."
    )
    assert i18n.error_text("not_found", "No room called attic.") == "No se encontró (quizá ya no está)."
    assert i18n.error_text("teapot", "I am a teapot.") == "I am a teapot."  # no words for that code
    assert i18n.error_text("teapot", "") == "El servidor no pudo hacer eso."
    i18n.set_language("en")
    assert i18n.error_text("rate_limited", "Slow down: wait 3 s.") == "Slow down: wait 3 s."  # English: as sent
