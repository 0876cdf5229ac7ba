"""Speaking an answer (issue #19, item 5): recognised on the participant's own machine (pocketsphinx), shown to
check, sent as the normal text answer with the recogniser's confidence; on the server a low confidence goes to a
person like an unsure match. No sound leaves the machine for this."""

from __future__ import annotations

import pytest
from direct.showbase.MessengerGlobal import messenger

from client import i18n
from client.testing import pump, shared_app
from client.ui.voice import SAY_KEY
from client.voice import FileSink, FileSource, recognise, tts
from client_room import enter
from scenario_play import settled
from server.scenarios import answer_risk
from test_scenario_crisis import refused, to_the_role_play
from test_scenario_review import typed
from wire import scenario as wsc

DESK = [  # the options of 'Asking for help', role-play node 'desk' (scenarios/asking_for_help.yaml)
    "Excuse me, do you have a moment?",
    "(You stand near the desk and wait to be noticed.)",
    "(You leave. You'll try the form on your own.)",
]
SAID = "Excuse me, do you have a moment?"
VOICE = tts.TtsVoice("en-us", 50, 130)


@pytest.fixture(scope="module")
def said():
    return tts.synthesise(SAID, VOICE)


def test_an_espeak_sentence_is_recognised_locally_with_a_confidence(said):
    heard = recognise.recognise(said, DESK)
    assert "do you have a moment" in heard.text, heard
    assert heard.confidence >= answer_risk.HEARD_SURE, heard
    # words the step does not offer come out with less confidence than the ones it does
    other = recognise.recognise(tts.synthesise("The weather is cold and grey today.", VOICE), DESK)
    assert other.confidence < heard.confidence, (other, heard)
    assert recognise.recognise(said[:0], DESK) == recognise.Recognition("", 0.0)


async def test_a_spoken_answer_heard_with_low_confidence_goes_to_a_person(server):
    ana = await server.bot("Ana", room="cafe")
    run = await to_the_role_play(server, ana)
    # the very words of an option, but the recogniser was unsure of them: not scored, the participant confirms
    mark = len(ana.inbox)
    ack = await ana.call(wsc.SCENARIO_ANSWER, {"text": SAID, "confidence": 0.3})
    assert ack["wait"] == "confirm"
    st = await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["wait"] == "confirm", since=mark)
    assert [o["id"] for o in st["options"]][0] == "excuse_me"
    assert not typed(server.store, run, "choice")
    held = typed(server.store, run, "answer_held")[-1]
    assert held["signals"] == [answer_risk.UNSURE_HEARING] and held["heard"] == 0.3
    await ana.call(wsc.SCENARIO_CHOOSE, {"option": wsc.AGAIN})
    await settled(server)
    # heard with confidence: scored on its own, as the typed words would be
    mark = len(ana.inbox)
    ack = await ana.call(wsc.SCENARIO_ANSWER, {"text": SAID, "confidence": 0.9})
    await ana.wait_for(wsc.SCENARIO_STATE, lambda s: s["node"] == "attention", since=mark)
    choice = typed(server.store, run, "choice")[-1]
    assert choice["option"] == "excuse_me" and choice["decided"] == "auto" and choice["heard"] == 0.9
    # a confidence outside 0..1 is refused with the field named
    err = await refused(ana, wsc.SCENARIO_ANSWER, {"text": SAID, "confidence": 3})
    assert err.code == "invalid" and "confidence" in err.message


async def test_the_participant_says_an_answer_checks_the_words_and_sends_them_with_the_confidence(server, said):
    app = shared_app()
    app.settings.voice_mode = "activity"  # heard whenever they speak: but not while an answer is taken
    mic = FileSource()
    app.voice.use_devices(mic, FileSink())
    ben = None
    try:
        await enter(app, server)
        ben = await server.bot("Ben", room="cafe")
        ben.start_voice()
        await app.session.call(wsc.SCENARIO_START, {"scenario": "asking_for_help", "difficulty": "hard"})
        while True:
            await pump(app, lambda: app.scenario_panel is not None and app.scenario_panel.waiting_for_me, timeout=10)
            st = app.scenario_panel.state
            if st["wait"] != "continue":
                break
            await settled(server)
            await app.session.call(wsc.SCENARIO_CHOOSE, {"option": wsc.CONTINUE})
            await pump(app, lambda: app.scenario_panel.state is not st, timeout=10)
        panel = app.scenario_panel
        assert panel.state["node"] == "desk" and panel.free_text
        await settled(server)
        run = panel.state["run"]
        # Ctrl+T: listen on this machine; the words said go to the recogniser, not to the room
        messenger.send(SAY_KEY)
        assert app.voice.taking_answer
        mic.feed(said)
        await pump(app, lambda: mic.done, timeout=10)
        messenger.send(SAY_KEY)
        assert not app.voice.taking_answer
        await pump(app, lambda: "moment" in panel.typed, timeout=15)
        assert app.voice.link.sent == 0 and app.my_id not in ben.voice.buffers  # no sound left the machine
        assert app.voice.link.mode == "activity"  # and the talk mode is back as it was
        heard = app.voice.heard_answer
        assert heard.text == panel.typed and app.focus is not None
        # Enter sends the words as shown, with the recogniser's confidence
        messenger.send("enter")
        await pump(app, lambda: bool(typed(server.store, run, "choice") or typed(server.store, run, "answer_held")))
        stored = (typed(server.store, run, "choice") or typed(server.store, run, "answer_held"))[-1]
        assert stored["heard"] == heard.confidence  # (the words themselves are kept only with consent)
        if heard.confidence >= answer_risk.HEARD_SURE:  # heard clearly: scored as the typed words would be
            assert stored["option"] == "excuse_me" and stored["decided"] == "auto"
        else:
            assert answer_risk.UNSURE_HEARING in stored["signals"]
        assert app.voice.heard_answer is None
    finally:
        await app.close_network()
        if ben is not None:
            await ben.stop_voice()


async def test_saying_an_answer_tells_a_spanish_reader_it_knows_english_only():
    """pocketsphinx ships an English model only: a Spanish reader is told so, and nothing listens."""
    app = shared_app()
    app.voice.use_devices(FileSource(), FileSink())
    i18n.set_language("es")
    try:
        app.voice.toggle_answer()
        await pump(app, lambda: app.notices.shown is not None, timeout=5)
        assert app.notices.shown == i18n.t("voice.answer.english_only") and "inglés" in app.notices.shown
        assert not app.voice.taking_answer
    finally:
        i18n.set_language("en")


async def test_without_the_recogniser_nobody_is_asked_to_speak_an_answer(server, monkeypatch):
    """The installed client leaves pocketsphinx out (docs/deploy.md): Ctrl+T says so at once, before anyone
    speaks a whole answer, and nothing listens."""
    app = shared_app()
    app.voice.use_devices(FileSource(), FileSink())
    try:
        await enter(app, server)
        monkeypatch.setattr(recognise, "available", lambda: False)
        messenger.send(SAY_KEY)
        await pump(app, lambda: app.notices.shown is not None, timeout=5)
        assert app.notices.shown == i18n.t("voice.answer.no_recogniser")
        assert not app.voice.taking_answer
        monkeypatch.undo()
        assert recognise.available()  # this checkout has it (the client extra)
    finally:
        await app.close_network()
