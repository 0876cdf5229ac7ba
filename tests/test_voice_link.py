"""The client's voice parts without a server: the jitter buffer orders, recovers and conceals; the link's
push-to-talk, voice activity, per-speaker volume, levels, local playback and refusals."""

from __future__ import annotations

import numpy as np

from client.voice import FRAME, FileSink, FileSource, JitterBuffer, VoiceLink, codec, microphone_test
from client.voice.link import VAD_HANGOVER, level_of


def tone(frames: int, hz: float = 300.0, amp: float = 8000.0) -> np.ndarray:
    t = np.arange(frames * FRAME) / codec.RATE
    return (np.sin(2 * np.pi * hz * t) * amp).astype(np.int16)


def packets(frames: int) -> list[bytes]:
    enc = codec.Encoder()
    pcm = tone(frames)
    return [enc.encode(pcm[i * FRAME : (i + 1) * FRAME]) for i in range(frames)]


def test_jitter_buffer_plays_in_order_after_its_target_delay():
    buf = JitterBuffer(target=3)
    pkts = packets(6)
    for seq in (1, 0):  # out of order
        buf.put(seq, pkts[seq])
    assert buf.pop() is None  # two waiting: below the target delay
    buf.put(2, pkts[2])
    played = []
    for seq in range(3, 6):
        assert buf.pop() is not None
        played.append(buf.last_played_seq)
        buf.put(seq, pkts[seq])
    assert played == [0, 1, 2] and buf.played == 3 and not buf.concealed


def test_jitter_buffer_recovers_a_lost_frame_from_fec_or_conceals_it_and_drops_late_ones():
    buf = JitterBuffer(target=2)
    pkts = packets(8)
    for seq in (0, 1, 3, 4):  # 2 is lost; 3 carries its FEC data
        buf.put(seq, pkts[seq])
    frames = [buf.pop() for _ in range(5)]
    assert all(f is not None and len(f) == FRAME for f in frames)
    assert buf.recovered == 1 and buf.played == 4
    buf.put(2, pkts[2])  # too late: already rebuilt
    assert buf.late == 1
    buf.put(6, pkts[6])  # 5 lost, nothing after 6 yet: plain concealment
    buf.put(7, pkts[7])
    assert buf.pop() is not None and buf.recovered == 2  # 5 from 6's FEC
    # the spurt ends: a few concealed frames fade out, then the speaker is silent
    assert buf.pop() is not None and buf.pop() is not None
    tail = [buf.pop() for _ in range(buf.max_conceal + 1)]
    assert tail[-1] is None and not buf.active


def test_jitter_buffer_skips_ahead_after_a_burst():
    buf = JitterBuffer(target=3, max_depth=8)
    for seq, data in enumerate(packets(20)):
        buf.put(seq, data)
    buf.pop()
    assert buf.skipped == 17 and buf.depth() == 2 and buf.last_played_seq == 17


async def test_push_to_talk_sends_only_while_pressed_and_a_refusal_stops_it():
    sent = []
    link = VoiceLink(lambda ev, p: sent.append(p), FileSource(pcm=tone(20)), None)
    await link.step()
    assert not sent and not link.talking
    link.press()
    for _ in range(3):
        await link.step()
    assert [p["seq"] for p in sent] == [0, 1, 2] and link.talking
    link.as_role = "coach"
    await link.step()
    assert sent[-1]["as_role"] == "coach"
    link.on_refused({"code": "rate_limited", "message": "a burst", "event": "voice"})
    await link.step()
    assert len(sent) == 5 and link.talking  # a burst after a network stall loses frames, not the voice
    link.on_refused({"code": "forbidden", "message": "muted", "event": "voice"})
    await link.step()
    assert len(sent) == 5 and not link.talking and link.refusal["code"] == "forbidden"
    link.press()  # pressing again tries again
    await link.step()
    assert len(sent) == 6


async def test_voice_activity_sends_speech_not_silence():
    silence, speech = np.zeros(10 * FRAME, np.int16), tone(10)
    tail = np.zeros((VAD_HANGOVER + 10) * FRAME, np.int16)
    sent = []
    link = VoiceLink(lambda ev, p: sent.append(p), FileSource(pcm=np.concatenate([silence, speech, tail])), None)
    link.mode = "activity"
    for _ in range(10):
        await link.step()
    assert not sent
    for _ in range(10):
        await link.step()
    assert len(sent) == 10
    for _ in range(VAD_HANGOVER + 10):
        await link.step()
    # the hangover (VAD_HANGOVER frames from the last loud one) keeps words whole, then it stops
    assert len(sent) == 10 + VAD_HANGOVER - 1 and not link.talking


async def test_levels_gain_and_local_playback_mix_per_speaker():
    sink = FileSink()
    link = VoiceLink(None, None, sink, jitter_target=1)
    for seq, data in enumerate(packets(10)):
        link.on_voice({"avatar": 4, "seq": seq, "data": data, "driver": "teleop"})
    link.play_local(9, tone(10, hz=500))
    link.set_gain(4, 0.0)
    for _ in range(5):
        await link.step()
    levels = link.levels()
    assert 4 not in levels and levels[9] > 0.5  # muted on this client: no sound and no moving mouth
    assert link.drivers[4] == "teleop"
    link.set_gain(4, 1.0)
    for _ in range(3):
        await link.step()
    assert link.levels()[4] > 0.5 and link.speaking() == {4, 9}
    for _ in range(30):
        await link.step()
    assert link.levels() == {}  # both finished: levels fall back to nothing
    assert level_of(sink.pcm()[: 5 * FRAME]) > 0.5  # the local buffer was played


async def test_a_speaker_who_left_is_forgotten():
    link = VoiceLink(None, None, None, jitter_target=1)
    for seq, data in enumerate(packets(3)):
        link.on_voice({"avatar": 2, "seq": seq, "data": data, "driver": None})
    await link.step()
    assert 2 in link.levels()
    link.forget(2)
    await link.step()
    assert link.levels() == {} and 2 not in link.buffers


async def test_the_microphone_test_meters_and_plays_back_without_sending():
    meter: list[float] = []
    sink = FileSink()
    quiet = await microphone_test(FileSource(pcm=np.zeros(10 * FRAME, np.int16)), seconds=0.2, paced=False)
    assert not quiet["heard"] and quiet["peak"] == 0.0
    result = await microphone_test(FileSource(pcm=tone(10)), sink, seconds=0.2, on_level=meter.append, paced=False)
    assert result["heard"] and result["peak"] > 0.5 and len(meter) == 10
    assert np.array_equal(sink.pcm(), tone(10))  # the person hears what they said
