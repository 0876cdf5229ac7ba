"""Voice in the 3D client: push-to-talk (V, or the Talk button) with a "you are heard" indicator, the
voices of the room through the speakers, mouths and name tags that follow them, role-play lines read
aloud, and a peer specialist's voice transformed to fit the character they voice.

The transport is client/voice (VoiceLink): this part opens the devices the settings choose, starts the
link while the client is in a room, and feeds the views from `levels()`. Nothing here records sound:
frames go to the server to be relayed and to the speakers, nowhere else.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from direct.gui.DirectGui import DirectButton
from panda3d.core import NodePath

from wire import controllers as wc
from wire import voice as wire_voice

from .. import theme
from ..i18n import language, t
from .hud import SettingsPanel
from .layout import GAP, HUD_BUTTON_TEXT, MARGIN
from .settings import VOICE_MODES, Settings
from .widgets import button

log = logging.getLogger("peerspace.client.voice")

try:  # Opus comes from libopus (PyAV's wheel, or the system's): without it the client runs as before, without voice
    from ..voice import FileSink, FileSource, VoiceLink, list_devices
    from ..voice.devices import sound_library_problem
    from ..voice.link import level_of
    from ..voice.transform import FORMANT_RANGE, PITCH_RANGE, VoiceTransform, clamp_voice, from_cast
    from ..voice.tts import LineReader, voice_for

    VOICE_MISSING = ""
except Exception as e:  # codec.OpusMissing when there is no libopus; anything else a broken install
    VOICE_MISSING = str(e)

PTT_KEY = "v"  # hold to talk (push-to-talk mode)
SAY_KEY = "control-t"  # a role-play answer in your own words: say it (again to stop), then check the words
ANSWER_FRAMES = int(15.0 / 0.02)  # a spoken answer is at most 15 s
MIC_TEST_SECONDS = 3.0  # the microphone test keeps this much, then plays it back
VOLUMES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # per-speaker volume steps (settings)
COMPUTER_RUN = ("autonomous", "agent", None)  # cast drivers whose lines are read aloud (None: not told yet)


class MeteredSource:
    """A microphone that also keeps the level of the last frame read (the microphone test's meter), and
    while a spoken answer is taken, its frames (kept in memory on this machine, for the recogniser only)."""

    def __init__(self, source: Any):
        self.source = source
        self.level = 0.0
        self.paced = getattr(source, "paced", False)
        self.recording: list[np.ndarray] | None = None

    def read(self) -> np.ndarray | None:
        frame = self.source.read()
        if frame is not None:
            self.level = max(level_of(frame), self.level * 0.8)
            if self.recording is not None and len(self.recording) < ANSWER_FRAMES:
                self.recording.append(frame)
        return frame

    def start_recording(self) -> None:
        self.recording = []

    def stop_recording(self) -> np.ndarray:
        frames, self.recording = self.recording or [], None
        return np.concatenate(frames) if frames else np.zeros(0, np.int16)

    def close(self) -> None:
        self.source.close()


class NullSink:
    """Speakers for a machine without sound: the mix is dropped (a FileSink would keep it all)."""

    def write(self, frame: np.ndarray) -> None:
        pass

    def close(self) -> None:
        pass


def device_names(kind: str) -> list[str]:
    """The devices a person may choose for `kind` ("input" or "output"), "" first (the system's default)."""
    want = "inputs" if kind == "input" else "outputs"
    return [""] + [str(d["name"]) for d in list_devices() if d[want] > 0]


class VoiceUI:
    """The client's voice: one VoiceLink while in a room, the Talk button and what the settings choose."""

    def __init__(self, app: Any):
        self.app = app
        self.link: VoiceLink | None = None
        self.source: MeteredSource | None = None
        self.sink: Any = None
        self.reader = None if VOICE_MISSING else LineReader(self.play_local, enabled=app.settings.read_aloud)
        self.latched = False  # the Talk button was clicked: heard until it is clicked again
        self.held = False  # the V key is down
        self.root: NodePath | None = None
        self.talk: DirectButton | None = None
        self._shown_talking: tuple | None = None  # what the Talk button was drawn for
        self._devices: tuple[Any, Any] | None = None  # given by a test or automation: (source, sink)
        self.speaking_as: str | None = None  # the cast role a peer specialist voices now
        self.role_voices: dict[str, tuple[float, float]] = {}  # cast role -> (pitch, formant) chosen here
        self.cast_voices: dict[int, dict | None] = {}  # cast avatar -> its role's voice (controller events)
        self._mode_after: str | None = None  # the talk mode to go back to after listening privately
        self.heard_answer: Any = None  # the last spoken answer recognised (recognise.Recognition), until sent
        self.no_sound_said = False
        app.accept(f"{PTT_KEY}-up", self.release)  # V's key-down goes through the input stack (RoomMode)

    # --- devices and the link ------------------------------------------------------------------------
    def use_devices(self, source: Any, sink: Any) -> None:
        """Speak from `source` and play into `sink` (file-backed devices: tests, machines without sound)."""
        self._devices = (source, sink)
        if self.link is not None:
            self._replace_link()

    def default_devices(self) -> None:
        """Back to the devices the settings choose (tests put the shared client back this way)."""
        self._devices = None

    def _open_devices(self) -> tuple[Any, Any]:
        if self._devices is not None:
            return self._devices
        opts, settings = self.app.opts, self.app.settings
        if opts.voice_in or opts.voice_out or self.app.offscreen:
            source = FileSource(opts.voice_in) if opts.voice_in else FileSource()
            return source, FileSink(opts.voice_out) if opts.voice_out else NullSink()
        try:
            from ..voice import SoundDevice

            device = SoundDevice(settings.microphone or None, settings.speakers or None)
            return device, device
        except Exception:  # no PortAudio, no device, a device that went away: the room still works
            log.info("no sound device could be opened; voice is off on this machine", exc_info=True)
            if not self.no_sound_said:
                self.no_sound_said = True
                self.app.notice(t("voice.no_portaudio" if sound_library_problem() else "voice.no_device"))
            return FileSource(), NullSink()

    def _make_link(self) -> None:
        source, sink = self._open_devices()
        self.source, self.sink = MeteredSource(source), sink
        self.speaking_as = None  # a new link speaks as yourself until a held role is seen (sync_role)
        self.link = VoiceLink(self._emit, self.source, sink, mode=self.app.settings.voice_mode)
        for aid, gain in self.app.model.volumes.items():
            self.link.set_gain(aid, gain)

    def _replace_link(self) -> None:
        old = self.link
        self.link = None
        if old is not None:
            self.app.spawn(old.close() if self._devices is None else old.stop(), t("do.change_device"))
        self.enter()

    async def _emit(self, event: str, payload: dict) -> None:
        session = self.app.session
        if session is not None and getattr(session, "connected", False):
            await session.emit(event, payload)

    def enter(self) -> None:
        """In a room: the link runs (it needs a running loop and a connection)."""
        app = self.app
        if self.link is not None or app.session is None or app.opts.preview:
            return
        if VOICE_MISSING:
            if not self.no_sound_said:
                self.no_sound_said = True
                log.warning("voice is off: %s", VOICE_MISSING)
                app.notice(t("voice.no_device"))
            return
        self._make_link()
        try:
            self.link.start()
        except RuntimeError:  # no running loop (a preview drawn without one)
            self.link = None

    def leave(self) -> None:
        """Out of the room: the link stops and the devices close (a microphone is never kept open)."""
        link, self.link = self.link, None
        self.latched = self.held = False
        self.app.model.volumes.clear()  # avatar ids are the room's: another room's 3 is someone else
        self.cast_voices.clear()
        self.speaking_as = None
        if self.reader is not None:  # lines still waiting to be read are dropped with the room
            self.reader.set_enabled(False)
            self.reader.set_enabled(self.app.settings.read_aloud)
        if link is not None:
            link.release()
            self.app.spawn(link.close() if self._devices is None else link.stop(), t("do.stop_voice"))
        self.refresh()

    def apply_settings(self, settings: Settings) -> None:
        if self.reader is not None:
            self.reader.set_enabled(settings.read_aloud)
        if self.taking_answer:  # listening on this machine only: the new mode applies after
            self._mode_after = settings.voice_mode
        elif self.link is not None:
            if self.link.mode != settings.voice_mode:
                self.link.mode = settings.voice_mode
                self.latched = False
            self.refresh()

    def change_device(self) -> None:
        """A microphone or speakers were chosen in the settings: open them now."""
        if self.link is not None and self._devices is None:
            self._replace_link()

    # --- talking ------------------------------------------------------------------------------------------
    @property
    def talking(self) -> bool:
        return self.link is not None and self.link.talking

    def press(self) -> None:
        self.held = True
        self._sync_press()

    def release(self) -> None:
        self.held = False
        self._sync_press()

    def toggle(self) -> None:
        """The Talk button: a click starts being heard, another click stops (a mouse cannot hold a key).
        In voice-activity mode it turns the microphone off and on again."""
        if self.link is None:
            return
        if self.link.mode == "activity":  # the microphone off: back to push-to-talk, not heard
            self.link.mode = self.app.settings.voice_mode = "push"
        else:
            self.latched = not self.latched
            self._sync_press()
        self.refresh()

    def _sync_press(self) -> None:
        link = self.link
        if link is None or link.mode != "push":
            return
        if (self.held or self.latched) and not self.taking_answer:
            if not link.talking:
                link.press()
        else:
            link.release()

    def on_refused(self, error: dict) -> None:
        """The server refused a frame (muted, taking a pause, a role not held): stop until pressed again.
        The refusal's own words are shown by the net layer, once."""
        self.latched = False
        if self.link is not None:
            self.link.on_refused(error)

    # --- what is heard ----------------------------------------------------------------------------------
    def on_voiced(self, payload: dict) -> None:
        if self.link is not None:
            self.link.on_voice(payload)

    def levels(self) -> dict[int, float]:
        return self.link.levels() if self.link is not None else {}

    def driver_of(self, speaker: int) -> str | None:
        return self.link.drivers.get(speaker) if self.link is not None else None

    def set_volume(self, speaker: int, gain: float) -> None:
        self.app.model.volumes[speaker] = gain
        if self.link is not None:
            self.link.set_gain(speaker, gain)

    def volume(self, speaker: int) -> float:
        return float(self.app.model.volumes.get(speaker, 1.0))

    def forget(self, speaker: int) -> None:
        if self.link is not None:
            self.link.forget(speaker)

    def play_local(self, speaker: int, pcm: np.ndarray) -> None:
        if self.link is not None:
            self.link.play_local(speaker, pcm)

    def on_cast_line(self, d: dict, av: Any) -> None:
        """A line said by a cast avatar: read aloud when a program runs that avatar (a peer specialist
        speaks for themselves), in the role's own voice."""
        if av is None or av.kind != "cast" or av.driver not in COMPUTER_RUN or self.link is None or not self.reader:
            return
        role, cast = self._cast_of(av.id)
        cast = dict(cast or {"kind": "partner"})
        if self.cast_voices.get(av.id) and not cast.get("voice"):
            cast["voice"] = self.cast_voices[av.id]
        self.reader.speak(av.id, str(d.get("text", "")), voice_for(role or av.name, cast))

    def _cast_of(self, avatar: int) -> tuple[str | None, dict | None]:
        """The cast role an avatar plays in the running practice, and its cast entry (kind, voice)."""
        states = [getattr(self.app.scenarios.panel, "state", None)]
        console = self.app.coach
        if console is not None:
            states.append(console.state)
        for st in states:
            if not st:
                continue
            for role, aid in (st.get("avatars") or {}).items():
                if aid == avatar:
                    cast = (st.get("cast") or {}).get(role)
                    return role, cast if isinstance(cast, dict) else None
        return None, None

    # --- speaking an answer (recognised on this machine) ------------------------------------------------
    @property
    def taking_answer(self) -> bool:
        return self.source is not None and self.source.recording is not None

    def toggle_answer(self) -> None:
        """Ctrl+T in a role-play step that takes your own words: listen (nothing is sent to the room),
        then again to stop; the words recognised go into the answer field to check, change, and send."""
        app, panel = self.app, self.app.scenarios.panel
        if language() != "en":  # the recogniser's model (pocketsphinx's own) knows English only
            app.notice(t("voice.answer.english_only"))
            return
        if self.source is None or self.link is None:
            app.notice(t("voice.answer.no_mic"))
            return
        from ..voice import recognise

        if not self.taking_answer and not recognise.available():
            app.notice(t("voice.answer.no_recogniser"))
            return
        if self.taking_answer:
            pcm = self._stop_listening()
            phrases = [str(o.get("text", "")) for o in (panel.options if panel is not None else [])]
            app.notice(t("voice.answer.working"), seconds=3)
            app.spawn(self._recognise(pcm, phrases), t("do.recognise"))
            return
        if panel is None or not panel.free_text or panel.busy:
            app.notice(t("voice.answer.not_now"))
            return
        self._listen_privately()  # your answer is for the recogniser on this machine, not for the room
        app.notice(t("voice.answer.listening", keys="Ctrl+T"), seconds=15)

    def _listen_privately(self) -> None:
        """Keep what the microphone hears on this machine (a spoken answer, the microphone test): nothing is
        sent meanwhile, whatever the talk mode; the mode comes back after."""
        assert self.link is not None and self.source is not None
        self.latched = self.held = False
        self._mode_after = self.link.mode
        self.link.mode = "push"
        self.link.release()
        self.source.start_recording()

    def _stop_listening(self) -> np.ndarray:
        assert self.source is not None
        pcm = self.source.stop_recording()
        if self.link is not None and self._mode_after is not None:
            self.link.mode, self._mode_after = self._mode_after, None
        return pcm

    async def _recognise(self, pcm: np.ndarray, phrases: list[str]) -> None:
        import asyncio

        from ..voice.recognise import recognise

        result = await asyncio.to_thread(recognise, pcm, phrases)
        panel = self.app.scenarios.panel
        if panel is None or not panel.free_text:
            return
        if not result.text:
            self.app.notice(t("voice.answer.nothing"))
            return
        if not panel.typing:
            panel.open_field()
        panel.typed = result.text
        if panel.field:
            panel.field.set(result.text)
        self.heard_answer = result
        self.app.notice(t("voice.answer.heard"), seconds=6)

    def answer_extra(self, text: str) -> dict:
        """What goes with an answer: the recogniser's confidence when it is the words it heard, unchanged
        (changed words are the person's own, typed: no confidence)."""
        heard, self.heard_answer = self.heard_answer, None
        if heard is not None and text.strip().lower() == heard.text.strip().lower():
            return {"confidence": float(heard.confidence)}
        return {}

    # --- a peer specialist voicing a character --------------------------------------------------------
    def sync_role(self) -> None:
        """Each frame: while a specialist holds the console's selected cast role, their voice is that
        avatar's, through the role's transform (the scenario cast's `voice`); otherwise their own."""
        link, console = self.link, self.app.coach
        role = console.selected if console is not None and console.mine() else None
        if link is None or role == self.speaking_as:
            return
        self.speaking_as = role
        link.as_role = role
        link.transform = self._transform_for(role)
        if role is not None:
            name = (console.controllers.get(role) or {}).get("name") or role
            self.app.notice(t("voice.speaking_as", role=name), seconds=4)

    def role_voice(self, role: str) -> tuple[float, float]:
        """(pitch, formant) for a cast role: the specialist's own choice (Voice and sound), else the scenario
        cast's `voice` (sent in the `controller` event), else unchanged."""
        if role in self.role_voices:
            return self.role_voices[role]
        console = self.app.coach
        spec = ((console.controllers.get(role) or {}).get("voice") if console is not None else None) or {}
        return float(spec.get("pitch", 0.0) or 0.0), float(spec.get("formant", 1.0) or 1.0)

    def _transform_for(self, role: str | None) -> VoiceTransform | None:
        if role is None:
            return None
        pitch, formant = self.role_voice(role)
        return from_cast({"voice": {"pitch": pitch, "formant": formant}})

    def set_role_voice(self, role: str, pitch: float, formant: float) -> None:
        """The specialist's own choice of a role's voice (overrides the scenario's for this session)."""
        self.role_voices[role] = clamp_voice(pitch, formant)
        if self.link is not None and role == self.speaking_as:
            self.link.transform = self._transform_for(role)

    def on_controller(self, d: dict) -> None:
        """Who drives a cast avatar, with the role's voice: kept for reading that avatar's lines aloud."""
        if isinstance(d.get("avatar"), int):
            self.cast_voices[d["avatar"]] = d.get("voice") if isinstance(d.get("voice"), dict) else None

    # --- the Talk button and indicator --------------------------------------------------------------------
    def build(self, parent: NodePath, scale: float, y: float, right: float) -> None:
        """The Talk button at the HUD's button row, its right edge at `right` (left of Help)."""
        if self.root is not None:
            self.root.removeNode()
        self.root = parent.attachNewNode("voice")
        self._scale, self._y, self._right = scale, y, right
        self._shown_talking = None
        self.refresh()

    def refresh(self) -> None:
        """Redraw the button when what it says changes: "Talk (hold V)" or "You are heard"."""
        if self.root is None:
            return
        talking = self.talking
        mode = self.link.mode if self.link is not None else self.app.settings.voice_mode
        line = self.app.hud.mode
        shown = (talking, mode, self.link is not None, line.mode if line is not None else "")
        if shown == self._shown_talking:
            return
        self._shown_talking = shown
        if self.talk is not None:
            self.talk.destroy()
        if talking:
            text = t("voice.heard")
        elif mode == "activity":
            text = t("voice.activity")
        else:
            text = t("voice.talk", letter=PTT_KEY.upper())
        s = HUD_BUTTON_TEXT * self._scale
        self.talk = button(self.root, text, (0, self._y), s, self.toggle, name="hud:talk")
        left, right = self.talk.getBounds()[:2]
        room = self._right - GAP - self._mode_right()
        if (right - left) * s > room:  # large text and a long mode line: smaller words, never over the line
            s = room / (right - left)
            self.talk.setScale(s)
        if talking:
            self.talk["frameColor"] = theme.colour("ui_warn", 0.95)
        self.talk.setX(self._right - GAP - right * s)
        if self.link is None:
            self.root.hide()
        else:
            self.root.show()

    def _mode_right(self) -> float:
        """Where the mode line above the chat ends now (it is in the same row, at the left), plus a gap."""
        line = self.app.hud.mode
        if line is None or not line.mode:
            return MARGIN
        return float(line.bg["frameSize"][1]) + GAP

    def show(self, show: bool) -> None:
        if self.root is not None:
            self.root.show() if show and self.link is not None else self.root.hide()

    # --- per frame ------------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        """Mouths and name tags from what is played now; the Talk button from whether you are heard."""
        self.sync_role()
        self.refresh()
        if self.link is None:
            return  # no voice here (a preview, outside a room): faces are left as they are
        levels = self.levels()
        me = self.app.model.my_id
        if self.talking and me is not None and self.speaking_as is None:
            levels[me] = self.mic_level()  # your own face (the portrait) moves with what you send
        for aid, av in self.app.avatars.items():
            av.set_voice_level(levels.get(aid, 0.0), dt)
            driver = self.driver_of(aid) if aid in levels else None
            if av.kind == "cast" and driver in (wc.TELEOP, "agent") and av.driver != driver:
                av.set_driver(driver)  # a person (or program) voices it: the tag says so
        panel = self.app.settings_panel
        if isinstance(panel, VoiceSettingsPanel):
            panel.set_value(t("voice.settings.mic_test"), meter(self.mic_level()))

    # --- settings -------------------------------------------------------------------------------------------
    def settings_items(self) -> list[tuple[str, Any]]:
        """The Settings row that opens Voice and sound."""
        app = self.app
        if VOICE_MISSING:
            return []
        return [(t("voice.settings.title"), lambda: (app.close_settings(), self.open_settings()))]

    def open_settings(self) -> None:
        from ..input import SettingsFocus

        app = self.app
        if app.settings_panel is None:
            app.settings_panel = VoiceSettingsPanel(app.popups, self)
            app.push_focus(SettingsFocus(app, app.settings_panel))

    def rows(self) -> list[tuple[str, Any, Any]]:
        s = self.app.settings
        rows: list[tuple[str, Any, Any]] = [
            (t("voice.settings.mode"), lambda: t(f"voice.settings.mode.{s.voice_mode}"), self._next_mode),
            (
                t("voice.settings.read_aloud"),
                lambda: t("voice.on") if s.read_aloud else t("voice.off"),
                self._flip_read,
            ),
        ]
        if sound_library_problem():  # no PortAudio (Linux without libportaudio2): no devices to choose, say why
            rows.append((t("voice.settings.sound"), lambda: t("voice.settings.no_portaudio"), lambda step: None))
        else:
            rows += [
                (
                    t("voice.settings.microphone"),
                    lambda: s.microphone or t("voice.settings.default_device"),
                    lambda step: self._next_device("microphone", "input", step),
                ),
                (
                    t("voice.settings.speakers"),
                    lambda: s.speakers or t("voice.settings.default_device"),
                    lambda step: self._next_device("speakers", "output", step),
                ),
            ]
        if self.link is not None and self.speaking_as is not None:
            role = self.speaking_as
            console = self.app.coach
            shown = ((console.controllers.get(role) or {}).get("name") if console is not None else None) or role
            rows.append(
                (
                    t("voice.settings.role_pitch", role=shown),
                    lambda: f"{self.role_voice(role)[0]:+.0f}",
                    lambda step: self._step_role_voice(role, step, 0.0),
                )
            )
            rows.append(
                (
                    t("voice.settings.role_formant", role=shown),
                    lambda: f"{self.role_voice(role)[1]:.2f}",
                    lambda step: self._step_role_voice(role, 0, step * 0.05),
                )
            )
        if self.link is not None:
            rows.append((t("voice.settings.mic_test"), lambda: meter(self.mic_level()), self.hear_yourself))
            named: set[str] = set()
            for aid, av in self.app.avatars.items():
                if aid != self.app.model.my_id:
                    name = av.name if av.name not in named else f"{av.name} ({aid})"  # two people, one name
                    named.add(name)
                    rows.append(
                        (
                            t("voice.settings.volume", name=name),
                            lambda aid=aid: volume_words(self.volume(aid)),
                            lambda step, aid=aid: self.set_volume(aid, next_volume(self.volume(aid), step)),
                        )
                    )
        return rows

    def hear_yourself(self, step: int = 1) -> None:
        """The microphone test's Enter: 3 seconds are kept (on this machine only), then played back to you."""
        if self.source is None or self.link is None or self.taking_answer:
            return
        self._listen_privately()
        self.app.notice(t("voice.mic_test.speak"), seconds=3)
        self.app.spawn(self._play_back(), t("do.play_back"))

    async def _play_back(self) -> None:
        import asyncio

        await asyncio.sleep(MIC_TEST_SECONDS)
        if self.source is None or self.link is None or self.source.recording is None:
            return
        pcm = self._stop_listening()
        self.link.play_local(self.app.model.my_id if self.app.model.my_id is not None else -1, pcm)

    def _step_role_voice(self, role: str, pitch_step: int, formant_step: float) -> None:
        pitch, formant = self.role_voice(role)
        pitch = max(-PITCH_RANGE, min(PITCH_RANGE, pitch + pitch_step))
        formant = max(FORMANT_RANGE[0], min(FORMANT_RANGE[1], round(formant + formant_step, 2)))
        self.set_role_voice(role, pitch, formant)

    def _save(self) -> None:
        self.app.apply_settings(self.app.settings)

    def _next_mode(self, step: int) -> None:
        s = self.app.settings
        s.voice_mode = VOICE_MODES[(VOICE_MODES.index(s.voice_mode) + step) % len(VOICE_MODES)]
        self._save()

    def _flip_read(self, step: int) -> None:
        self.app.settings.read_aloud = not self.app.settings.read_aloud
        self._save()

    def _next_device(self, field: str, kind: str, step: int) -> None:
        names = device_names(kind)
        current = getattr(self.app.settings, field)
        i = names.index(current) if current in names else 0
        setattr(self.app.settings, field, names[(i + step) % len(names)])
        self._save()
        self.change_device()

    def mic_level(self) -> float:
        return self.source.level if self.source is not None else 0.0

    async def aclose(self) -> None:
        """The client shuts down: the link stops and the devices close before the connection does."""
        link, self.link = self.link, None
        if self.reader is not None:
            self.reader.close()
        if link is not None:
            await (link.close() if self._devices is None else link.stop())


class VoiceSettingsPanel(SettingsPanel):
    """Voice and sound, a panel of its own under Settings: how you talk, lines read aloud, the devices,
    a microphone test and each person's volume. Left/Right change a row; Esc closes."""

    def __init__(self, parent: NodePath, voice: VoiceUI):
        self.voice = voice
        app = voice.app
        super().__init__(parent, app.settings, app.apply_settings, None, app.screens.ask_quit, adjust=voice.rows())
        self.title_key = "voice.settings.title"
        self._draw()

    def _rows(self) -> list[tuple[str, str, str]]:
        return [("adjust", name, value()) for name, (value, _change) in self.adjust.items()]


def meter(level: float) -> str:
    """The microphone test's bar: ten marks, as many filled as the level."""
    n = int(round(min(1.0, max(0.0, level)) * 10))
    return "#" * n + "." * (10 - n)


def volume_words(gain: float) -> str:
    return f"{int(round(gain * 100))}%"


def next_volume(gain: float, step: int) -> float:
    i = min(range(len(VOLUMES)), key=lambda k: abs(VOLUMES[k] - gain))
    return VOLUMES[max(0, min(len(VOLUMES) - 1, i + step))]


def is_voice_refusal(d: dict) -> bool:
    return d.get("event") == wire_voice.VOICE
