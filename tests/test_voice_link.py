"""The client's voice parts without a server: the jitter buffer orders, recovers and conceals; the link's
push-to-talk, voice activity, per-speaker volume, levels, local playback and refusals."""

from __future__ import annotations

import asyncio
import random

import numpy as np

from client.voice import FRAME, FileSink, FileSource, JitterBuffer, VoiceLink, codec, microphone_test
from client.voice.link import VAD_HANGOVER, level_of
from wire.voice import PACKET_FRAMES


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


def test_each_frame_of_a_packet_goes_into_the_jitter_buffer_under_its_own_number():
    link = VoiceLink(None, None, None)
    pkts = packets(5)
    link.on_voice({"avatar": 3, "seq": 2, "frames": pkts[2:4], "driver": None})
    link.on_voice({"avatar": 3, "seq": 0, "frames": pkts[0:2], "driver": None})  # out of order
    link.on_voice({"avatar": 3, "seq": 4, "frames": pkts[4:], "driver": None})  # the end of a burst: one frame
    assert link.buffers[3].frames == dict(enumerate(pkts))
    link.on_voice({"avatar": 3, "seq": 5, "frames": "not a list", "driver": None})  # ignored, as before
    assert link.buffers[3].depth() == 5


def test_frames_arriving_two_at_a_time_play_smoothly_through_a_three_frame_buffer():
    """Packets of two every 40 ms on one connection (in order; now and then one held up by up to 40 ms,
    holding up those behind it), played one frame every 20 ms: no frame is concealed in the middle of
    speech and none is lost, and the delay through the buffer is constant. bench/voice_jitter.py measures
    the same over more delays."""
    rnd = random.Random(19)
    pkts = packets(200)
    for phase in (1.0, 7.0, 13.0, 19.0):  # where the playout tick falls in the 20 ms
        buf = JitterBuffer(target=3)
        arrivals, last = [], 0.0
        for first in range(0, len(pkts), PACKET_FRAMES):
            sent = 20.0 * (first + PACKET_FRAMES)  # when the packet's last frame is captured
            held = rnd.uniform(0, 40) if rnd.random() < 0.05 else 0.0
            last = max(last, sent + rnd.uniform(1, 4) + held)
            arrivals.append((last, first))
        delays = set()
        for tick in range(len(pkts) + 20):
            now = 20.0 * tick + phase
            while arrivals and arrivals[0][0] <= now:
                first = arrivals.pop(0)[1]
                for i in range(PACKET_FRAMES):
                    buf.put(first + i, pkts[first + i])
            if buf.pop() is not None and buf.last_played_seq is not None:
                delays.add(round(now - 20.0 * buf.last_played_seq, 3))
        assert buf.played == len(pkts) and buf.late == buf.skipped == 0, phase
        assert buf.concealed == buf.max_conceal  # only the fade-out after the last frame
        assert len(delays) == 1, (phase, delays)


async def test_push_to_talk_sends_only_while_pressed_and_a_refusal_stops_it():
    sent = []
    link = VoiceLink(lambda ev, p: sent.append(p), FileSource(pcm=tone(20)), None)
    await link.step()
    assert not sent and not link.talking
    link.press()
    for _ in range(3):
        await link.step()
    # two frames a packet, numbered by the first: the third frame waits for the fourth
    assert [(p["seq"], len(p["frames"])) for p in sent] == [(0, 2)] and link.talking
    link.as_role = "coach"
    await link.step()
    assert [p["seq"] for p in sent] == [0, 2] and sent[-1]["as_role"] == "coach"
    link.on_refused({"code": "rate_limited", "message": "a burst", "event": "voice"})
    for _ in range(PACKET_FRAMES):
        await link.step()
    assert len(sent) == 3 and link.talking  # a burst after a network stall loses frames, not the voice
    link.on_refused({"code": "forbidden", "message": "muted", "event": "voice"})
    for _ in range(PACKET_FRAMES):
        await link.step()
    assert len(sent) == 3 and not link.talking and link.refusal["code"] == "forbidden"
    link.press()  # pressing again tries again
    for _ in range(PACKET_FRAMES):
        await link.step()
    assert len(sent) == 4 and link.sent == 4 * PACKET_FRAMES


async def test_the_end_of_a_talk_burst_goes_at_once_as_a_shorter_packet():
    sent: list[tuple[float, dict]] = []
    captured = []

    async def emit(event, payload):
        sent.append(payload)

    link = VoiceLink(emit, FileSource(pcm=tone(20)), None, trace=lambda kind, _, seq, t: captured.append(seq))
    link.press()
    for _ in range(5):  # an odd number of frames: the last one is held for a packet
        await link.step()
    assert [p["seq"] for p in sent] == [0, 2]
    link.release()
    await asyncio.sleep(0)  # no tick: the held frame leaves as soon as the key is let go
    assert [(p["seq"], len(p["frames"])) for p in sent] == [(0, 2), (2, 2), (4, 1)]
    assert captured == [0, 1, 2, 3, 4] and link.sent == 5  # the latency trace stays per frame
    for _ in range(3):
        await link.step()
    assert len(sent) == 3  # nothing more: the key is up

    # voice activity: the frame held when the speech (and its hangover) ends goes on the same tick
    speech, quiet = tone(5), np.zeros((VAD_HANGOVER + 5) * FRAME, np.int16)
    sent.clear()
    link = VoiceLink(emit, FileSource(pcm=np.concatenate([speech, quiet])), None, mode="activity")
    for _ in range(5 + VAD_HANGOVER):
        await link.step()
    frames = [(p["seq"] + i) for p in sent for i in range(len(p["frames"]))]
    assert frames == list(range(5 + VAD_HANGOVER - 1)) and len(frames) % PACKET_FRAMES == 1
    assert len(sent[-1]["frames"]) == 1 and not link.talking


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
    assert sum(len(p["frames"]) for p in sent) == 10
    for _ in range(VAD_HANGOVER + 10):
        await link.step()
    # the hangover (VAD_HANGOVER frames from the last loud one) keeps words whole, then it stops
    assert sum(len(p["frames"]) for p in sent) == 10 + VAD_HANGOVER - 1 and not link.talking


async def test_levels_gain_and_local_playback_mix_per_speaker():
    sink = FileSink()
    link = VoiceLink(None, None, sink, jitter_target=1)
    pkts = packets(10)
    for seq in range(0, 10, 2):
        link.on_voice({"avatar": 4, "seq": seq, "frames": pkts[seq : seq + 2], "driver": "teleop"})
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
    pkts = packets(3)
    link.on_voice({"avatar": 2, "seq": 0, "frames": pkts[:2], "driver": None})
    link.on_voice({"avatar": 2, "seq": 2, "frames": pkts[2:], "driver": None})
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
