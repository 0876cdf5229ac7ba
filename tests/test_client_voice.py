"""Voice in the 3D client, offscreen: mouths that move with the voice's level, name tags that say who is
speaking (and that a peer specialist drives a cast avatar)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from direct.showbase.MessengerGlobal import messenger

from client.avatars.avatar import HEAD_R
from client.statefile import snapshot
from client.testing import FakeSession, frame, pump, region, sample_room, shared_app, to_pixel
from client.ui.voice import PTT_KEY
from client.voice import FRAME, Encoder, FileSink, FileSource, tts
from client.voice.transform import estimate_pitch
from client_room import enter
from test_voice import HEARD_THRESHOLD, ncc_peak  # the same measure of "heard" as the transport tests
from wire import controllers as wc
from wire import events
from wire import safety as ws
from wire import scenario as wsc
from wire.voice import PACKET_FRAMES

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = {0: (0.0, -2.0, 0.0), 1: (-0.6, 0.2, 180.0), 2: (0.9, 1.5, 180.0)}


@pytest.fixture
def app():
    return shared_app()


@pytest.fixture(autouse=True)
async def _hang_up():
    """The shared client hangs up after each test (before the test's server stops)."""
    yield
    await shared_app().close_network()


def settle(app, n=3):
    img = None
    for _ in range(n):
        img = frame(app)
    return img


def mouth_px(app, aid):
    """The pixel of the avatar's mouth and a radius that covers it."""
    av = app.avatars[aid]
    head = av.head.getPos(app.render)
    mouth = to_pixel(app, (head.x, head.y, head.z - HEAD_R * 0.42))
    top = to_pixel(app, (head.x, head.y, head.z + HEAD_R))
    centre = to_pixel(app, head)
    assert mouth is not None and top is not None and centre is not None
    return mouth, max(3, abs(centre[1] - top[1]) // 2)


def test_the_mouth_opens_with_the_voice_level_and_the_tag_says_speaking(app):
    sample_room(app, LAYOUT, members={1: "Robin", 2: "Kim"})
    settle(app)
    av = app.avatars[1]
    (c, r), radius = mouth_px(app, 1)
    av.set_voice_level(0.0, 0.02)
    silent = region(settle(app, 2), (c, r), radius)
    av.set_voice_level(0.7, 0.02)
    assert av.mouth > 0 and av.speaking
    speaking = region(settle(app, 2), (c, r), radius)
    diff = np.abs(speaking - silent).mean()
    assert diff > 0.01, f"the mouth did not open on screen (diff {diff:.4f})"
    assert "(speaking)" in av._tag_text.getText()
    assert snapshot(app)["voice"] == {"talking": False, "speaking": ["Robin"]}  # --state-file, for automation
    # a louder voice opens it wider; the other avatar's face stays as it was
    av.set_voice_level(0.45, 0.02)
    low = av.mouth
    av.set_voice_level(0.95, 0.02)
    assert av.mouth > low > 0
    assert app.avatars[2].mouth == 0 and not app.avatars[2].speaking
    # silence closes the mouth at once; the tag keeps "speaking" a moment, then lets go
    av.set_voice_level(0.0, 0.1)
    assert av.mouth == 0 and av.speaking
    av.set_voice_level(0.0, 1.0)
    assert not av.speaking and av._tag_text.getText() == "Robin"
    closed = region(settle(app, 2), (c, r), radius)
    assert np.abs(closed - silent).mean() < diff / 4


# --- against the real server, with a bot on file-backed devices ------------------------------------------------

SPEECH = "Hello, it is nice to meet you. Shall we practise a conversation?"


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return tts.synthesise(SPEECH, tts.TtsVoice("en", 50, 150))


async def face_each_other(app, bot):
    await app.session.call(events.LOOK, {"at": bot.avatar})
    await bot.call(events.LOOK, {"at": app.my_id})
    await pump(app, frames=40)


async def test_a_voice_in_the_room_is_heard_and_moves_that_avatars_mouth_on_screen(server, speech):
    sink = FileSink()
    live = shared_app()
    live.voice.use_devices(FileSource(), sink)
    try:
        await enter(live, server)
        ben = await server.bot("Ben", room="cafe")
        ben.start_voice()
        await pump(live, lambda: ben.avatar in live.avatars and live.avatars[ben.avatar].placed)
        await face_each_other(live, ben)
        av = live.avatars[ben.avatar]
        (c, r), radius = mouth_px(live, ben.avatar)
        silent = region(frame(live), (c, r), radius)
        assert av.mouth == 0 and av._tag_text.getText() == "Ben"
        ben.voice.source = FileSource(pcm=speech)
        ben.voice.press()
        biggest, tags = 0.0, set()
        while not ben.voice.source.done:
            # the faces follow the voices each frame; one rendered frame while the mouth is open is looked at
            # (an offscreen frame on a busy machine takes long enough to hold up playout, so only one)
            await asyncio.sleep(0.02)
            live.voice.update(0.02)
            tags.add(av._tag_text.getText())
            if av.mouth >= 2 and not biggest:
                biggest = float(np.abs(region(frame(live), (c, r), radius) - silent).mean())
        ben.voice.release()
        await pump(live, lambda: not av.speaking, timeout=3)
        # the mouth moved on this client's render while Ben spoke, and his tag said he was speaking
        assert biggest > 0.01, f"the mouth did not move on screen (largest change {biggest:.4f})"
        assert "Ben  (speaking)" in tags
        assert av.mouth == 0 and av._tag_text.getText() == "Ben"
        # what the speakers got is Ben's speech
        score = await asyncio.to_thread(ncc_peak, speech, sink.pcm())
        assert score >= HEARD_THRESHOLD, score
        # his volume down to nothing: the voice still arrives, but nothing of it is played
        live.voice.set_volume(ben.avatar, 0.0)
        sink.clear()
        ben.voice.source = FileSource(pcm=speech[: len(speech) // 3])
        ben.voice.press()
        while not ben.voice.source.done:
            await pump(live, frames=2)
        ben.voice.release()
        await pump(live, frames=20)
        assert live.voice.link.buffers[ben.avatar].played > 0
        assert np.abs(sink.pcm()).max() == 0
        assert av.mouth == 0
        # volumes are the room's (avatar ids are): out of the room they are forgotten
        live.voice.leave()
        assert live.model.volumes == {}
    finally:
        await live.close_network()


async def test_push_to_talk_by_key_and_button_is_heard_by_the_room_with_the_indicator(server, speech):
    live = shared_app()
    mic = FileSource()
    live.voice.use_devices(mic, FileSink())
    try:
        await enter(live, server)
        ben = await server.bot("Ben", role="peer_specialist", room="cafe")  # staff: he can mute, below
        ben.start_voice()
        await pump(live, lambda: ben.avatar in live.avatars)
        talk = live.voice.talk
        assert talk is not None and not talk.isHidden() and talk["text"] == "Talk (hold V)"
        # nothing is sent while V is not held, whatever the microphone picks up
        mic.feed(speech[: len(speech) // 4])
        await pump(live, lambda: mic.done, timeout=5)
        assert live.voice.link.sent == 0
        # holding V: heard, and the button says so
        mic.feed(speech)
        messenger.send(PTT_KEY)
        await pump(live, frames=2)
        assert live.voice.talking and live.voice.talk["text"] == "You are heard"
        while not mic.done:  # (no frames drawn meanwhile: a slow offscreen frame would hold up the voices)
            await asyncio.sleep(0.02)
        messenger.send(f"{PTT_KEY}-up")
        await pump(live, frames=2)
        assert not live.voice.talking and live.voice.talk["text"] == "Talk (hold V)"
        await asyncio.sleep(0.3)
        score = await asyncio.to_thread(ncc_peak, speech, ben.voice.sink.pcm())
        assert score >= HEARD_THRESHOLD, score
        assert ben.voice.drivers[live.my_id] is None  # heard as Ana herself
        # the button: one click to talk, another to stop (a mouse cannot hold a key)
        sent = live.voice.link.sent
        live.voice.talk.commandFunc(None)
        mic.feed(speech[: len(speech) // 4])
        await pump(live, lambda: mic.done, timeout=5)
        assert live.voice.talking and live.voice.link.sent > sent
        live.voice.talk.commandFunc(None)
        await pump(live, frames=2)
        assert not live.voice.talking
        # Voice and sound (F10): the microphone test's bar moves while you speak, each person has a volume
        messenger.send("f10")
        names = [name for name, _ in live.settings_panel._items()]
        live.settings_panel.index = names.index("Voice and sound")
        messenger.send("enter")
        panel = live.settings_panel
        names = [name for name, _ in panel._items()]
        assert names[:4] == ["Talking", "Read role-play lines aloud", "Microphone", "Speakers"]
        assert "Microphone test (speak now)" in names and "Volume of Ben" in names
        sent = live.voice.link.sent
        mic.feed(speech[: len(speech) // 4])
        meter = panel._values["Microphone test (speak now)"]
        await pump(live, lambda: meter.getText().count("#") >= 5, timeout=5)
        assert live.voice.link.sent == sent  # testing the microphone sends nothing
        # Enter on it: 3 seconds kept, then played back to you (through your own speakers only)
        sink = live.voice.sink
        sink.clear()
        panel.index = names.index("Microphone test (speak now)")
        messenger.send("enter")
        mic.feed(speech)
        await pump(live, lambda: np.abs(sink.pcm()).max(initial=0) > 2000, timeout=8)
        assert live.voice.link.sent == sent  # nothing of it was sent
        panel.index = names.index("Volume of Ben")
        messenger.send("arrow_left")
        messenger.send("arrow_left")
        assert live.voice.volume(ben.avatar) == 0.5 and live.voice.link.gains[ben.avatar] == 0.5
        assert "50%" in panel._values["Volume of Ben"].getText()
        panel.index = names.index("Talking")
        messenger.send("arrow_right")
        assert live.settings.voice_mode == "activity" and live.voice.link.mode == "activity"
        messenger.send("escape")
        assert live.settings_panel is None
        await pump(live, lambda: mic.done and not live.voice.talking, timeout=10)  # speech (if any) heard out
        await pump(live, frames=2)
        assert live.voice.talk["text"] == "Microphone on"
        # muted by staff: the server refuses the voice, the client stops sending and says why, once
        live.settings.voice_mode = "push"
        live.voice.apply_settings(live.settings)
        await ben.call(ws.MUTE, {"avatar": live.my_id, "minutes": 5})
        mic.feed(speech[: len(speech) // 4])
        live.voice.talk.commandFunc(None)
        await pump(live, lambda: not live.voice.talking and live.voice.link.refusal is not None, timeout=5)
        assert live.voice.talk["text"] == "Talk (hold V)" and not live.voice.latched
        said = [n for n in live.notices.texts if live.voice.link.refusal["message"] in n]
        assert len(said) == 1, live.notices.texts
    finally:
        await live.close_network()


async def test_a_computer_run_cast_line_is_read_aloud_with_the_mouth_moving_and_can_be_turned_off(server):
    sink = FileSink()
    live = shared_app()
    live.voice.use_devices(FileSource(), sink)
    try:
        await enter(live, server)
        await live.session.call(wsc.SCENARIO_START, {"scenario": "starting_a_conversation", "difficulty": "easy"})
        cast_ids = set()
        opened: set[int] = set()

        def spoken() -> bool:
            st = live.scenario_panel.state if live.scenario_panel is not None else None
            cast_ids.update(((st or {}).get("avatars") or {}).values())
            opened.update(aid for aid in cast_ids if aid in live.avatars and live.avatars[aid].mouth > 0)
            return live.voice.reader.spoken > 0 and bool(opened)

        await pump(live, spoken, timeout=20)
        speaker = next(iter(opened))
        av = live.avatars[speaker]
        assert av.kind == "cast" and av.driver == "autonomous"
        assert "(role-play, computer-run)" in av._tag_text.getText()
        await pump(live, lambda: np.abs(sink.pcm()).max() > 2000, timeout=5)  # the speakers got the line
        # turned off in the settings: the next lines are shown but not read
        live.open_settings()
        rows = [name for name, _ in live.settings_panel._items()]
        live.settings_panel.index = rows.index("Voice and sound")
        messenger.send("enter")
        assert type(live.settings_panel).__name__ == "VoiceSettingsPanel"
        rows = [name for name, _ in live.settings_panel._items()]
        live.settings_panel.index = rows.index("Read role-play lines aloud")
        messenger.send("enter")
        assert live.settings.read_aloud is False and not live.voice.reader.enabled
        messenger.send("escape")
        assert not live.voice.reader.speak(speaker, "Not read.", tts.TtsVoice())
    finally:
        await live.close_network()


async def test_a_cast_avatar_a_peer_specialist_voices_says_so_on_its_tag_while_it_speaks(app):
    sample_room(app, LAYOUT, members={1: "Robin", 2: "Kim"})
    app.session = FakeSession()
    app.voice.use_devices(FileSource(), FileSink())
    app.voice.enter()
    robin = app.avatars[1]
    robin.kind = "cast"
    app.coaching.on_controller({"avatar": 1, "role": "coach", "driver": "autonomous", "by": None, "voice": None})
    assert robin._tag_text.getText() == "Robin  (role-play, computer-run)"
    enc, pcm = Encoder(), tts.synthesise("Hello, I am Robin.")
    frames = [enc.encode(pcm[i * FRAME : (i + 1) * FRAME]) for i in range(len(pcm) // FRAME)]
    for i in range(0, len(frames), PACKET_FRAMES):  # packets of two frames, as a link sends them
        app.voice.on_voiced({"avatar": 1, "seq": i, "frames": frames[i : i + PACKET_FRAMES], "driver": "teleop"})
        await asyncio.sleep(0.02 * PACKET_FRAMES)
        app.voice.update(0.02 * PACKET_FRAMES)
        if robin.mouth:
            break
    # a person voices it now: the tag says so at once, as well as that it is speaking
    assert robin.mouth > 0
    assert robin._tag_text.getText() == "Robin  (role-play, peer specialist)  (speaking)"
    await app.close_network()


async def test_a_specialist_holding_a_cast_role_speaks_as_it_through_the_roles_voice(make_server, tmp_path):
    scen = tmp_path / "scen"
    scen.mkdir()
    text = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()
    (scen / "minimal.yaml").write_text(
        text.replace("coach: {kind: coach, name: Robin}", "coach: {kind: coach, name: Robin, voice: {pitch: 5}}")
    )
    for sub in ("safety", "questionnaires"):
        (scen / sub).symlink_to(ROOT / "scenarios" / sub)
    srv = await make_server(scenarios_dir=str(scen))
    said = tts.synthesise("Hello, I am your coach today. Shall we begin?", tts.TtsVoice("en+m3", 40, 150))
    live = shared_app()
    mic = FileSource()
    live.voice.use_devices(mic, FileSink())
    try:
        await enter(live, srv, name="Sam", role="peer_specialist")
        ana = await srv.bot("Ana", room="cafe")
        ana.start_voice()
        await live.session.call(wc.CLAIM, {"role": "coach"})
        await ana.call(wsc.SCENARIO_START, {"scenario": "minimal"})
        await pump(live, lambda: (live.coach.controllers.get("coach") or {}).get("avatar") is not None, timeout=10)
        live.coach.selected = "coach"  # the console's role (Tab chooses it)
        await pump(live, lambda: live.voice.speaking_as == "coach", timeout=5)
        assert live.voice.link.as_role == "coach" and live.voice.link.transform.pitch == 5
        coach = live.coach.controllers["coach"]["avatar"]
        mic.feed(said)
        live.voice.press()
        while not mic.done:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        live.voice.release()
        # Ana hears the coach's avatar, voiced by a person, in the role's voice: 5 semitones up
        assert ana.voice.drivers.get(coach) == wc.TELEOP and live.my_id not in ana.voice.buffers
        heard = ana.voice.sink.pcm()
        ratio = median_pitch(heard) / median_pitch(said)
        assert ratio == pytest.approx(2 ** (5 / 12), rel=0.1), ratio
        # the specialist's own choice (Voice and sound, F10 also with the console open) overrides the scenario's
        live.voice.open_settings()
        names = [name for name, _ in live.settings_panel._items()]
        live.settings_panel.index = names.index("Voice of Robin: pitch (semitones)")
        messenger.send("arrow_right")
        assert live.voice.link.transform.pitch == 6
        live.settings_panel.index = names.index("Voice of Robin: formant (size)")
        messenger.send("arrow_left")
        assert (live.voice.link.transform.pitch, live.voice.link.transform.formant) == (6, 0.95)
        messenger.send("escape")
        live.voice.set_role_voice("coach", -4, 0.9)
        assert (live.voice.link.transform.pitch, live.voice.link.transform.formant) == (-4, 0.9)
    finally:
        await live.close_network()


def median_pitch(pcm: np.ndarray) -> float:
    frames = [pcm[i : i + 2400] for i in range(0, len(pcm) - 2400, 2400)]
    loud = [f for f in frames if np.sqrt(np.mean(f.astype(float) ** 2)) > 1500]
    return float(np.median([estimate_pitch(f, lo=70, hi=400) for f in loud]))


@pytest.mark.parametrize("size", [(960, 600), (1920, 1080)])
async def test_the_talk_button_stays_in_the_chat_column_between_the_mode_line_and_help(app, size):
    from panda3d.core import Point3

    from client.testing import resize
    from client.theme import TEXT_SIZES
    from client.ui.layout import layout
    from client.ui.settings import Settings

    def box(b):
        f = b.node().getFrame()
        a = app.aspect2d.getRelativePoint(b, Point3(f[0], 0, f[2]))
        c = app.aspect2d.getRelativePoint(b, Point3(f[1], 0, f[3]))
        return a.x, c.x, a.z, c.z

    resize(app, *size)
    try:
        sample_room(app, {0: (0.0, 0.0, 0.0)})
        app.session = FakeSession()
        app.voice.use_devices(FileSource(), FileSink())
        app.voice.enter()
        for text_size in TEXT_SIZES:
            for mode, talking in (("push", False), ("push", True), ("activity", False)):
                app.apply_settings(Settings(text_size=text_size, voice_mode=mode))
                app.voice.latched = talking
                app.voice._sync_press()
                app.hud.mode.set("")
                app.hud.mode.set("answer")  # the longest mode line
                app.voice.update(0.02)  # each frame the button makes room for the mode line
                lay = layout(app.getAspectRatio(), app.settings.text_scale)
                lo, hi = app.hud.mode.root.getTightBounds(app.aspect2d)
                talk = box(app.voice.talk)
                help_ = box(app.hud.buttons.help)
                where = f"{app.voice.talk['text']!r} at {size}, text {text_size}"
                assert not app.voice.talk.isHidden()
                assert hi.x < talk[0] < talk[1] < help_[0], where
                assert lay.chat.bottom <= talk[2] and talk[3] <= lay.chat.top, where
                app.voice.latched = False
                app.voice._sync_press()
    finally:
        resize(app, 960, 600)
        await app.close_network()
