"""Scenario, questionnaire and crisis/care text in the participant's language (server/languages.py).

Real bots on a real server, each connecting with `language` in its Socket.IO auth: a Spanish participant gets
the Spanish scenario lines, list and end summary, the Spanish questionnaires and the Spanish support card; an
English one the English; a file without Spanish falls back to English; an unknown language is English, never
a refusal. Lint warns (file:line, never an error) about a text a declared language lacks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp

from client.bot import Bot
from conftest import PASSWORD, RunningServer, dashboard_login, form_csrf
from scenario_play import inputs, play, settled
from server import languages
from server.scenarios import load_file
from server.scenarios.loader import parse
from wire import events
from wire import safety as ws
from wire import scenario as wsc

ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = ROOT / "scenarios" / "starting_a_conversation.yaml"


async def speaker(server, name: str, language: object, room: str | None = None) -> Bot:
    """A participant bot whose client asks for `language` at connect (auth = {token, language})."""
    server.add_user(name)
    bot = Bot(server.url)
    await bot.login(name, PASSWORD)
    connect = bot.sio.connect

    async def with_language(*args, auth=None, **kw):
        return await connect(*args, auth={**(auth or {}), "language": language}, **kw)

    bot.sio.connect = with_language
    await bot.connect()
    server.bots.append(bot)
    if room is not None:
        await bot.join(room)
    return bot


def said(server, run_id: int, cast: str) -> list[str]:
    return [
        e["data"]["text"]
        for e in server.store.run_events(run_id)
        if e["kind"] == "said" and e["data"].get("cast") == cast
    ]


async def test_a_spanish_participant_gets_the_spanish_scenario_an_english_one_the_english(server):
    server.world.create_room("Café dos", "cafe", 8, created_by=None, room_id="cafe2")
    ana = await speaker(server, "Ana", "es-ES", room="cafe")
    ben = await speaker(server, "Ben", "en", room="cafe2")
    assert server.world.conns[ana.sio.get_sid()].language == "es"
    # the list: this file's title in Spanish, the files without Spanish in English
    titles = {s["id"]: s["title"] for s in (await ana.call(wsc.SCENARIO_LIST, {}))["scenarios"]}
    assert titles["starting_a_conversation"] == "Iniciar una conversación"
    assert titles["job_interview"] == load_file(ROOT / "scenarios" / "job_interview.yaml").title
    easy = {s["id"]: s for s in (await ben.call(wsc.SCENARIO_LIST, {}))["scenarios"]}["starting_a_conversation"]
    assert easy["title"] == "Starting a conversation" and easy["difficulties"][0]["label"] == "Friendly partner"

    runs = {}
    for bot in (ana, ben):
        start = {"scenario": "starting_a_conversation", "difficulty": "easy"}
        runs[bot] = (await bot.call(wsc.SCENARIO_START, start))["run"]
    for bot, room in ((ana, "cafe"), (ben, "cafe2")):
        await play(server, bot, inputs(), room=room)
    spanish, english = said(server, runs[ana], "coach"), said(server, runs[ben], "coach")
    assert spanish[0].startswith("Iniciar una conversación puede parecer un gran paso")
    assert english[0].startswith("Starting a conversation can feel like a big step")
    assert "Te lo enseño. Alex acaba de dejar el móvil" in " ".join(spanish)
    assert "Sure, go ahead. I'm Alex." in said(server, runs[ben], "alex")
    assert "Claro, siéntate. Soy Alex." in said(server, runs[ana], "alex")
    ended = await ana.wait_for(wsc.SCENARIO_ENDED)
    assert ended["summary"]["steps"]["greet"] == "Saluda y di quién eres."
    ended = await ben.wait_for(wsc.SCENARIO_ENDED)
    assert ended["summary"]["steps"]["greet"] == "Greet them and say who you are."
    # the same version of the file either way: records know it as one scenario
    hashes = {server.store.get_run(runs[bot])["state"]["scenario_hash"] for bot in (ana, ben)}
    assert hashes == {load_file(CONVERSATION).content_hash}


async def test_a_file_without_the_language_falls_back_to_english_and_an_unknown_language_is_english(server):
    cy = await speaker(server, "Cyd", "es", room="cafe")
    run = (await cy.call(wsc.SCENARIO_START, {"scenario": "job_interview", "difficulty": "easy"}))["run"]
    interview = load_file(ROOT / "scenarios" / "job_interview.yaml")
    await play(server, cy, inputs(interview), room="cafe")
    first = interview.phases[0]["lines"][0]["text"]
    assert said(server, run, interview.phases[0]["lines"][0]["cast"])[0] == " ".join(first.split())
    # a language the project does not ship, or not a language at all: English, and the connection is kept
    for name, asked in (("Dee", "fr"), ("Eve", 42), ("Flo", "x" * 300)):
        bot = await speaker(server, name, asked)
        assert server.world.conns[bot.sio.get_sid()].language == "en"
        titles = {s["id"]: s["title"] for s in (await bot.call(wsc.SCENARIO_LIST, {}))["scenarios"]}
        assert titles["starting_a_conversation"] == "Starting a conversation"


async def test_questionnaires_in_the_participants_language(server):
    ana = await speaker(server, "Ana", "es")
    ben = await speaker(server, "Ben", None)
    spanish = {q["id"]: q for q in (await ana.call(ws.QUESTIONNAIRES, {}))["questionnaires"]}
    english = {q["id"]: q for q in (await ben.call(ws.QUESTIONNAIRES, {}))["questionnaires"]}
    assert set(spanish) == set(english) == {"confidence", "hope", "social_anxiety"}
    assert spanish["hope"]["title"] == "Esperanza" and english["hope"]["title"] == "Hope"
    assert spanish["hope"]["scale"]["labels"]["5"] == "Mucho" and english["hope"]["scale"]["labels"]["5"] == "Very much"
    assert [i["id"] for i in spanish["confidence"]["items"]] == [i["id"] for i in english["confidence"]["items"]]
    assert spanish["confidence"]["items"][0]["text"] == "Puedo iniciar una conversación con alguien."
    # answers and scores do not depend on the language
    answer = {"questionnaire": "hope", "when": "pre", "answers": {"future": 4, "goals": 2}}
    assert (await ana.call(ws.ANSWER_QUESTIONNAIRE, answer))["score"] == 3
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ana.token}"}) as http:
        async with http.get(server.url + "/api/me/questionnaires?language=es") as r:
            mine = {q["id"]: q for q in (await r.json())["questionnaires"]}
        async with http.get(server.url + "/api/me/questionnaires", headers={"Accept-Language": "en-GB"}) as r:
            theirs = {q["id"]: q for q in (await r.json())["questionnaires"]}
    assert mine["hope"]["title"] == "Esperanza" and mine["hope"]["pre"] == 3
    assert theirs["social_anxiety"]["title"] == "Feeling at ease with people"


def test_lint_warns_about_a_missing_translation_with_its_line_never_an_error(tmp_path):
    text = CONVERSATION.read_text(encoding="utf-8")
    scenario, problems = parse(text, "conversation.yaml")
    assert scenario is not None and problems == []  # the shipped file: complete, quiet
    assert scenario.localized("es").title == "Iniciar una conversación"
    assert scenario.localized("fr") is scenario and scenario.localized("es").content_hash == scenario.content_hash
    # take one translation out and misspell another
    lines = text.split("\n")
    greet = next(i for i, line in enumerate(lines) if line.strip().startswith("skill.steps.greet.text:"))
    tip = next(i for i, line in enumerate(lines) if line.strip().startswith("skill.steps.greet.tip:"))
    lines[tip] = lines[tip].replace("skill.steps.greet.tip:", "skill.steps.greeting.tip:")
    del lines[greet]
    scenario, problems = parse("\n".join(lines), "conversation.yaml")
    assert scenario is not None, [str(p) for p in problems]
    assert all(p.severity == "warning" for p in problems)
    english_line = next(i for i, line in enumerate(lines, 1) if line.strip() == "text: Greet them and say who you are.")
    shown = [str(p) for p in problems]
    assert any(
        s.startswith(f"conversation.yaml:{english_line}: warning: no Spanish (es) text for 'skill.steps.greet.text'")
        for s in shown
    ), shown
    assert any(
        f"conversation.yaml:{tip}: warning: translations: es: 'skill.steps.greeting.tip' names no" in s for s in shown
    )
    assert any("'skill.steps.greet.tip'" in s for s in shown)  # the misspelt one's text is missing too
    assert len(problems) == 3
    # the untranslated text is English for a Spanish participant, the others Spanish
    es = scenario.localized("es")
    assert es.step("greet")["text"] == "Greet them and say who you are."
    assert es.step("ask_question")["text"] == "Habla de algo sencillo o haz una pregunta fácil."
    # a file that declares only English stays quiet however little it translates
    english_only = "\n".join(lines).replace("languages: [en, es]", "languages: [en]")
    _, problems = parse(english_only, "conversation.yaml")
    assert sorted(p.message.split(":")[0] for p in problems) == [
        "translations",  # the misspelt key still names no text
        "translations for 'es', which languages",
    ]
    assert all(p.severity == "warning" for p in problems)


def test_the_lint_command_shows_translation_warnings_for_scenarios_and_questionnaires(tmp_path):
    folder = tmp_path / "scenarios"
    (folder / "questionnaires").mkdir(parents=True)
    text = CONVERSATION.read_text(encoding="utf-8")
    (folder / "conversation.yaml").write_text(
        "\n".join(line for line in text.split("\n") if not line.strip().startswith("endings.warm.title:")),
        encoding="utf-8",
    )
    hope = (ROOT / "scenarios" / "questionnaires" / "hope.yaml").read_text(encoding="utf-8")
    (folder / "questionnaires" / "hope.yaml").write_text(
        "\n".join(line for line in hope.split("\n") if "items.goals.text" not in line), encoding="utf-8"
    )
    out = subprocess.run(
        [sys.executable, "-m", "server.scenarios", "lint", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr  # warnings only
    report = out.stdout + out.stderr
    warm = next(i for i, line in enumerate(text.split("\n"), 1) if line.strip() == "title: A warm conversation")
    assert f"conversation.yaml:{warm}: warning: no Spanish (es) text for 'endings.warm.title'" in report, report
    goals = next(i for i, line in enumerate(hope.split("\n"), 1) if "I have goals" in line)
    assert f"hope.yaml:{goals}: warning: no Spanish (es) text for 'items.goals.text'" in report, report


def test_connect_language_is_kept_to_the_shipped_ones():
    assert languages.chosen("es") == "es" and languages.chosen("es-419") == "es"
    assert languages.chosen("de") == "en" and languages.chosen(["es"]) == "en" and languages.chosen(None) == "en"


async def test_the_crisis_card_duty_status_and_help_line_in_the_participants_language(server):
    from server.safety import care, crisis
    from wire import helpline as wh

    phrases = crisis.load(ROOT / "scenarios" / "safety" / "crisis_phrases.yaml")
    cover = care.load(ROOT / "scenarios" / "safety" / "care.yaml")
    es_phrases, es_cover = phrases.in_language("es"), cover.in_language("es")
    server.world.create_room("Café dos", "cafe", 8, created_by=None, room_id="cafe2")
    ana = await speaker(server, "Ana", "es", room="cafe")
    ben = await speaker(server, "Ben", "en", room="cafe2")
    # who is on duty, as each reads it
    assert (await ana.wait_for(ws.DUTY_STATUS))["text"] == es_cover.duty_text([])
    assert (await ben.wait_for(ws.DUTY_STATUS))["text"] == cover.duty_text([])
    assert "lunes 10:00–16:00" in es_cover.duty_text([]) and "Monday 10:00–16:00" in cover.duty_text([])
    info = await ana.call(ws.SAFETY_INFO, {})
    assert info["resources"]["title"] == "No estás solo ni sola" and info["monitoring"] == es_phrases.monitoring_notice
    # the honest card after a crisis phrase (the phrase list is one list, with Spanish phrases in it too)
    await ana.say("A veces pienso que quiero morirme")
    await ben.say("there is no reason to live")
    card = await ana.wait_for(events.NOTICE, lambda d: d.get("kind") == "support")
    assert card["title"] == "No estás solo ni sola"
    assert card["text"] == f"{es_phrases.texts['told.nobody']} {es_cover.resources_text()}"
    assert "llama al 116 123" in card["text"] and "Si estás en peligro ahora mismo, llama al 999." in card["text"]
    card = await ben.wait_for(events.NOTICE, lambda d: d.get("kind") == "support")
    assert card["title"] == "You are not alone"
    assert card["text"] == f"{phrases.texts['told.nobody']} {cover.resources_text()}"
    # asking to talk to someone: the consent and the out-of-hours answer
    asked = await ana.call(wh.HELP_REQUEST)
    assert asked["consent"].startswith("Esta es una conversación privada con alguien del equipo")
    assert (
        asked["text"].startswith("Ahora mismo no hay nadie del equipo de guardia")
        and "llama al 116 123" in asked["text"]
    )
    asked = await ben.call(wh.HELP_REQUEST)
    assert asked["consent"].startswith("This is a private conversation with someone from the team")
    # a peer specialist comes on duty and answers Ana: she reads who joined in Spanish
    sam = await server.bot("Sam", role="peer_specialist")
    key = (await sam.wait_for(wh.HELP_REQUESTED, lambda d: d["name"] == "Ana"))["channel"]
    await sam.call(wh.HELP_ACCEPT, {"channel": key})
    joined = await ana.wait_for(wh.HELP_STATUS, lambda d: d.get("state") == "joined")
    assert joined["text"] == "Sam (especialista de pares) se ha unido. Solo vosotros dos podéis ver esta conversación."


async def test_a_run_resumed_after_a_restart_keeps_its_language(tmp_path):
    srv = await RunningServer(tmp_path).start()
    try:
        ana = await speaker(srv, "Ana", "es", room="cafe")
        run_id = (await ana.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation"}))["run"]
        await settled(srv)
        assert srv.world.scenarios.active["cafe"].run.scenario.language == "es"
    finally:
        await srv.stop()
    srv = await RunningServer(tmp_path).start()  # the same data directory: a restart
    try:
        run = srv.world.scenarios.active["cafe"].run
        assert run.run_id == run_id and run.scenario.language == "es"
        assert run.scenario.title == "Iniciar una conversación"
        assert run.scenario.content_hash == load_file(CONVERSATION).content_hash
    finally:
        await srv.stop()


async def test_the_dashboard_editor_keeps_a_translated_file_whole(server):
    """Load, form save, diff and dry run of a scenario with a translations block: the block is kept byte for
    byte, the form offers the English texts only, and a dry run plays it."""
    server.add_user("Fay", "facilitator")
    http, status = await dashboard_login(server.url, "Fay")
    assert status == 303
    base = server.url + "/dashboard/scenarios/starting_a_conversation"
    text = CONVERSATION.read_text(encoding="utf-8")
    block = text[text.index("languages: [en, es]") :]
    async with http:
        async with http.get(base + "/form") as r:
            form = await r.text()
        assert "Iniciar una conversación" not in form and "Starting a conversation" in form
        csrf = form_csrf(form)
        async with http.post(base + "/form", data={"csrf": csrf, "f.title": "Starting a chat"}) as r:
            assert r.status == 200
        saved = server.store.latest_scenario_version("starting_a_conversation")
        assert saved["problems"] == 0 and 'title: "Starting a chat"' in saved["text"]
        assert saved["text"].endswith(block)  # the translations untouched
        async with http.get(base + f"/diff?a=file&b={saved['id']}") as r:
            diff = await r.text()
        assert "Starting a chat" in diff and "Iniciar una conversación" not in diff
        async with http.post(base + "/try", data={"csrf": csrf, "difficulty": "easy"}) as r:
            assert r.status == 200 and "/try/" in r.url.path
            assert "Starting a chat" in await r.text()
