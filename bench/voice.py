"""Voice benchmark: mouth-to-ear latency (p50/p99, with the jitter buffer) and server CPU per active speaker.

    python bench/voice.py --rooms 1 --speakers 2 --listeners 6                    # a room of 8, 2 speaking
    python bench/voice.py --rooms 50 --speakers 1 --listeners 1 --pose-per-room 10  # 50 rooms x 1 speaker
                                                                                    # alongside the 50x10 pose load

The server runs as its own OS process (`python -m server serve`). Voice clients run in `--voice-workers` processes
on one 20 ms clock each: bench/lean.py's light client with a client.voice.VoiceLink as the ear (jitter buffer, Opus
decoding, playout to a null sink); speakers send pre-encoded Opus frames of a speech-like signal in packets of
`wire.voice.PACKET_FRAMES`, as the link does (the encoder's time per frame, measured once, is added to each frame's
latency), so the bench's own clients cost as little CPU as they can. With `--pose-per-room` the pose load of
bench/load.py (its own worker processes: walking bots, latency markers, chat) runs in the same rooms. All on
127.0.0.1, one monotonic clock.

Two windows of `--seconds` each: first the speakers are silent (baseline), then they speak continuously.
Mouth-to-ear latency of a frame = the time it is played by a listener's link (out of its jitter buffer, into the
sink) minus the time the speaker captured it (its tick, less the encoding time), plus the 20 ms the frame took to
fill; a frame that waits in the speaker's packet for the next one counts that wait too. Send -> arrival is a frame's
packet leaving the speaker to reaching a listener's socket. A real sound card adds its own input and output buffers
on top (typically 10-40 ms each way with PortAudio). Frames sent in the voice window but never played count as
slower than anything measured. Server CPU comes from /proc/<pid>/stat; per active speaker it is (voice window -
baseline) / speakers. With the pose load, its marker latency is measured in the voice window (the issue's target:
the 50x10 pose p99 stays under 50 ms with 50 rooms x 1 speaker), and the walking bots' processes' CPU in each
window (every voice packet reaches them too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: accounts, server start-up helpers, the pose-load worker)


def speech_like(seconds: float = 4.0):
    """A voiced, syllable-paced test signal (150 Hz harmonics, 4 Hz syllables): no espeak needed in workers."""
    import numpy as np

    from client.voice import codec

    t = np.arange(int(seconds * codec.RATE)) / codec.RATE
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 0.5
    return (voiced * envelope * 5000).astype(np.int16)


# --- voice worker: runs in its own process ---------------------------------------------------------------
async def voice_worker(spec: dict) -> dict:
    from client.voice import FRAME, FRAME_S, Encoder, VoiceLink
    from lean import LeanClient
    from wire.voice import PACKET_FRAMES

    # The mouth: speakers send pre-encoded frames of the signal (encoding is the speaker's own CPU, timed here once
    # and added to each frame's latency), so the bench's clients do not starve the server on a small machine.
    signal = speech_like()
    encoder = Encoder()
    frames = [signal[i : i + FRAME] for i in range(0, len(signal) - FRAME + 1, FRAME)]
    t0 = time.perf_counter()
    encoded = [encoder.encode(f) for f in frames]
    encode_s = (time.perf_counter() - t0) / len(frames)
    sent: dict[tuple[str, int, int], float] = {}  # (room, speaker avatar, seq) -> capture time (encoder's less)
    emitted: dict[tuple[str, int, int], float] = {}  # the same frame -> when its packet was sent
    played: list[tuple[str, int, int, float]] = []
    arrived: list[tuple[str, int, int, float]] = []  # a frame reached a listener (before its jitter buffer)
    window = {"on": False}

    async def connect(room: str, c: dict) -> dict:
        cl = LeanClient(c["url"], binary=True)  # bench/lean.py: a light engine.io client, as the pose load uses
        await cl.connect({"token": c["token"]})
        ack = await cl.call("join", {"room": room})
        if not ack or not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        me: dict = {"cl": cl, "room": room, "avatar": ack["you"], "speaker": c["speaker"], "errors": []}

        def trace(kind: str, speaker: int | None, seq: int, t: float) -> None:
            if window["on"] and kind == "played":
                played.append((room, speaker, seq, t))

        link = VoiceLink(cl.emit, None, None, trace=trace)  # the ear: jitter buffer, decoding, playout

        def on_event(event: str, data, n: int) -> None:
            if event == "voiced":
                if window["on"]:
                    now = time.perf_counter()
                    arrived.extend((room, data["avatar"], data["seq"] + i, now) for i in range(len(data["frames"])))
                link.on_voice(data)
            elif event == "error":
                me["errors"].append(data.get("code") if isinstance(data, dict) else "?")

        cl.on_event = on_event
        me["link"] = link
        return me

    sem = asyncio.Semaphore(10)

    async def guarded(room: str, c: dict) -> dict:
        async with sem:
            return await connect(room, c)

    clients = await asyncio.wait_for(
        asyncio.gather(*(guarded(r["id"], c) for r in spec["rooms"] for c in r["clients"])), 120
    )
    print("READY", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    t_on, t_end = map(float, line.split())

    speaking = {"on": False, "seq": 0, "held": 0}  # held: frames captured, waiting to fill a packet

    async def send_held() -> None:
        first = speaking["seq"] - speaking["held"]
        frames = [encoded[s % len(encoded)] for s in range(first, speaking["seq"])]
        speaking["held"] = 0
        for c in clients:
            if c["speaker"]:
                now = time.perf_counter()
                for s in range(first, first + len(frames)):
                    emitted[(c["room"], c["avatar"], s)] = now
                await c["cl"].emit("voice", {"seq": first, "frames": frames})

    async def tick_all() -> None:
        """One 20 ms clock for every client in this process (a task per link would cost more than the links)."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            # a frame is captured every tick; a packet leaves when PACKET_FRAMES fill it, or with what is held
            # when the speaking stops, as client.voice.VoiceLink sends
            if speaking["on"]:
                now = time.perf_counter()
                for c in clients:
                    if c["speaker"]:
                        sent[(c["room"], c["avatar"], speaking["seq"])] = now - encode_s
                speaking["seq"] += 1
                speaking["held"] += 1
            if speaking["held"] and (speaking["held"] >= PACKET_FRAMES or not speaking["on"]):
                await send_held()
            for c in clients:
                await c["link"].step()
            due += FRAME_S
            if loop.time() - due > 5 * FRAME_S:
                due = loop.time()
            await asyncio.sleep(max(0.0, due - loop.time()))

    ticker = asyncio.get_running_loop().create_task(tick_all())
    await asyncio.sleep(max(0.0, t_on - time.time()))
    window["on"] = speaking["on"] = True
    await asyncio.sleep(max(0.0, t_end - time.time()))
    speaking["on"] = False
    await asyncio.sleep(spec["drain"])
    window["on"] = False
    ticker.cancel()
    lat = []
    heard = set()
    for room, speaker, seq, t in played:
        t0 = sent.get((room, speaker, seq))
        if t0 is not None:
            lat.append(round(t - t0, 5))
            heard.add((room, speaker, seq))
    transit = []
    for room, speaker, seq, t in arrived:
        t0 = emitted.get((room, speaker, seq))
        if t0 is not None:
            transit.append(round(t - t0, 5))
    # every other voice client in the room plays each frame (the other speakers listen too)
    hearers = {r["id"]: len(r["clients"]) - 1 for r in spec["rooms"]}
    expected = sum(hearers[room] for room, _, _ in sent)
    out = {
        "lat": lat,
        "transit": transit,
        "expected": expected,
        "sent": len(sent),
        "concealed": sum(b.concealed for c in clients for b in c["link"].buffers.values()),
        "recovered": sum(b.recovered for c in clients for b in c["link"].buffers.values()),
        "late": sum(b.late + b.skipped for c in clients for b in c["link"].buffers.values()),
        "errors": [e for c in clients for e in c.get("errors", [])],
        "encode_ms": round(1000 * encode_s, 3),
        "cpu": load._cpu_seconds(os.getpid()),
    }
    await asyncio.gather(*(c["cl"].close() for c in clients), return_exceptions=True)
    return out


# --- orchestrator -----------------------------------------------------------------------------------------
def pct(values: list[float], missing: int, p: float, drain: float) -> float | str | None:
    k = int(p * (len(values) + missing))
    if k >= len(values):
        return f">{1000 * drain:.0f}" if values or missing else None
    return round(1000 * values[k], 1)


def run(args) -> dict:
    from client.voice import codec

    tmp = Path(tempfile.mkdtemp(prefix="psvoice-"))
    procs: list[subprocess.Popen] = []
    per_room = args.pose_per_room + args.speakers + args.listeners
    try:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PEERSPACE_LOG_LEVEL": "WARNING",
            "PEERSPACE_MAX_PER_ADDRESS": "100000",
        }
        tokens = load.prepare_peerspace(tmp, args.rooms, per_room)
        ready = tmp / "ready"
        server = subprocess.Popen(
            load.pinned(args.server_cpus, load.serve_command(tmp, ready)),
            cwd=ROOT,
            env=env,
            stdout=open(tmp / "server.log", "w"),
            stderr=subprocess.STDOUT,
        )
        procs.append(server)
        url = f"http://127.0.0.1:{load.wait_file(ready, server)}"

        def spawn(cmd: list[str], spec: dict) -> subprocess.Popen:
            p = load.start_worker(cmd, spec, env, args.bot_cpus)
            procs.append(p)
            return p

        pose_workers, voice_workers = [], []
        if args.pose_per_room:
            pose_args = load.parser().parse_args(
                ["--rooms", str(args.rooms), "--per-room", str(args.pose_per_room), "--seconds", str(args.seconds)]
            )
            specs = [
                {
                    "mode": "peerspace",
                    "drain": pose_args.drain,
                    "send_hz": pose_args.input_hz,
                    "mark_every": max(1, round(pose_args.input_hz / load.MARKS_PER_S)),
                    "say_every": max(2, round(pose_args.input_hz * load.SAY_EVERY_S)),
                    "rooms": [],
                }
                for _ in range(args.pose_workers)
            ]
            for r in range(args.rooms):
                clients = [{"url": url, "token": tokens[r][k]} for k in range(args.pose_per_room)]
                specs[r % args.pose_workers]["rooms"].append({"id": f"bench-{r}", "clients": clients})
            pose_workers = [spawn([sys.executable, str(ROOT / "bench" / "load.py"), "worker"], s) for s in specs]
        vspecs = [{"seconds": args.seconds, "drain": args.drain, "rooms": []} for _ in range(args.voice_workers)]
        for r in range(args.rooms):
            mine = tokens[r][args.pose_per_room :]
            clients = [{"url": url, "token": tok, "speaker": i < args.speakers} for i, tok in enumerate(mine)]
            vspecs[r % args.voice_workers]["rooms"].append({"id": f"bench-{r}", "clients": clients})
        voice_workers = [spawn([sys.executable, __file__, "worker"], s) for s in vspecs if s["rooms"]]
        for w in pose_workers + voice_workers:
            line = w.stdout.readline()
            if not line.startswith("READY"):
                raise RuntimeError(f"a worker failed to connect its clients: {line!r}")
        t_base = time.time() + args.warmup
        t_on = t_base + args.seconds
        t_end = t_on + args.seconds
        for w in pose_workers + voice_workers:
            w.stdin.write(f"{t_on} {t_end}\n")
            w.stdin.flush()
        time.sleep(max(0.0, t_base - time.time()))

        # the walking bots' processes too: every voice message reaches them as well (they parse and drop it)
        def walkers_cpu() -> float:
            return sum(load._cpu_seconds(w.pid) for w in pose_workers)

        cpu0, walk0 = load._cpu_seconds(server.pid), walkers_cpu()
        time.sleep(max(0.0, t_on - time.time()))
        cpu1, walk1 = load._cpu_seconds(server.pid), walkers_cpu()
        time.sleep(max(0.0, t_end - time.time()))
        cpu2, walk2 = load._cpu_seconds(server.pid), walkers_cpu()
        voice = [json.loads(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in voice_workers]
        pose = [json.loads(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in pose_workers]
        lat = sorted(x + codec.FRAME_S for v in voice for x in v["lat"])
        transit = sorted(x for v in voice for x in v["transit"])
        missing = max(0, sum(v["expected"] for v in voice) - len(lat))
        base_pct = 100 * (cpu1 - cpu0) / args.seconds
        voice_pct = 100 * (cpu2 - cpu1) / args.seconds
        speakers = args.rooms * args.speakers
        out = {
            "rooms": args.rooms,
            "speakers": speakers,
            "listeners": args.rooms * args.listeners,
            "pose_bots": args.rooms * args.pose_per_room,
            "seconds": args.seconds,
            "mouth_to_ear_ms_p50": pct(lat, missing, 0.50, args.drain),
            "mouth_to_ear_ms_p99": pct(lat, missing, 0.99, args.drain),
            "send_to_arrival_ms_p50": pct(transit, 0, 0.50, args.drain),
            "send_to_arrival_ms_p99": pct(transit, 0, 0.99, args.drain),
            "encode_ms_per_frame": max(v["encode_ms"] for v in voice),
            "frames_sent": sum(v["sent"] for v in voice),
            "frames_played": len(lat),
            "frames_missing": missing,
            "frames_concealed": sum(v["concealed"] for v in voice),
            "frames_fec_recovered": sum(v["recovered"] for v in voice),
            "frames_late_or_skipped": sum(v["late"] for v in voice),
            "server_cpu_pct_baseline": round(base_pct, 1),
            "server_cpu_pct_voice": round(voice_pct, 1),
            "server_cpu_pct_per_speaker": round((voice_pct - base_pct) / max(1, speakers), 2),
            "voice_errors": sorted(set(e for v in voice for e in v["errors"])),
        }
        if server.poll() is not None or args.server_log:
            out["server_exit"] = server.poll()
            print((tmp / "server.log").read_text()[-3000:], file=sys.stderr)
        if pose:
            summary = load.summarise(pose_args, pose, [cpu2 - cpu1])
            out["walking_bots_cpu_pct_baseline"] = round(100 * (walk1 - walk0) / args.seconds, 1)
            out["walking_bots_cpu_pct_voice"] = round(100 * (walk2 - walk1) / args.seconds, 1)
            out["pose_latency_ms_p50"] = summary["latency_ms_p50"]
            out["pose_latency_ms_p99"] = summary["latency_ms_p99"]
            out["pose_errors"] = summary["errors"]
        return out
    finally:
        load.stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rooms", type=int, default=1)
    ap.add_argument("--speakers", type=int, default=2, help="voice clients per room that speak")
    ap.add_argument("--listeners", type=int, default=6, help="voice clients per room that listen (and time)")
    ap.add_argument("--pose-per-room", type=int, default=0, help="walking bots of bench/load.py per room")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each window (baseline, then voice)")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--drain", type=float, default=1.0, help="seconds to wait for frames sent in the window")
    ap.add_argument("--voice-workers", type=int, default=1)
    ap.add_argument("--pose-workers", type=int, default=2)
    ap.add_argument("--server-cpus", help="pin the server to these CPUs (taskset -c), e.g. 0")
    ap.add_argument("--bot-cpus", help="pin every client process to these CPUs (taskset -c), e.g. 1")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    ap.add_argument("--server-log", action="store_true", help="print the end of the server's log")
    return ap


if __name__ == "__main__":
    load.bench_main(parser, run, voice_worker)
