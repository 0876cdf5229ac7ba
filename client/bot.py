"""A headless peerspace client: used by tests, the demo and the load generator.

It keeps what a person's client would know (members, poses, lines said)
and can wait for a condition on the event stream. From the command line it
signs in, joins a room, walks, says lines (and WAV files aloud) and leaves (`python -m client.bot --help`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wire import codec, events
from wire import voice as wire_voice
from wire.errors import WireError
from wire.session import CONNECTION, Session

if TYPE_CHECKING:
    from client.voice import AudioSink, AudioSource, VoiceLink


class Bot(Session):
    def __init__(self, base_url: str, **kw):
        super().__init__(base_url, **kw)
        self.inbox: list[tuple[str, Any]] = []
        self.members: dict[int, dict] = {}
        self.poses: dict[int, tuple[float, float, float]] = {}
        self.pose_times: dict[int, float] = {}
        self.said: list[dict] = []
        self.errors: list[dict] = []
        self.avatar: int | None = None
        self.room: dict | None = None
        self.voice: VoiceLink | None = None  # start_voice(): speak and listen with (file) devices
        self._changed = asyncio.Event()
        self.sio.on("*", self._record)
        # a wait on the connection's state (reconnecting, connected again) wakes when it changes, not at its timeout
        self.on(CONNECTION, lambda _state: self._changed.set())

    async def _record(self, event, data=None):
        self.inbox.append((event, data))
        if event == events.ROOM_STATE:
            self.room, self.avatar = data["room"], data["you"]
            self.members = {m["avatar"]: m for m in data["members"]}
            self.poses.clear()
            self._take_poses(data["poses"])
        elif event == events.SNAPSHOT:
            self._take_poses(data[1])
        elif event == events.MEMBER_JOINED:
            self.members[data["member"]["avatar"]] = data["member"]
        elif event == events.MEMBER_LEFT:
            self.members.pop(data["avatar"], None)
            self.poses.pop(data["avatar"], None)
        elif event == events.MEMBER_UPDATED and data["avatar"] in self.members:
            self.members[data["avatar"]].update(data)
        elif event == events.SAID:
            self.said.append(data)
        elif event == wire_voice.VOICED:
            if self.voice is not None:
                self.voice.on_voice(data)
            await self._fire(event, data)
            self._changed.set()  # a wait on what was heard wakes now, not at its timeout
            return  # fifty a second per speaker: not kept in the inbox
        elif event == events.ERROR:
            self.errors.append(data)
            if self.voice is not None and data.get("event") == wire_voice.VOICE:
                self.voice.on_refused(data)
        await self._fire(event, data)
        self._changed.set()

    def _take_poses(self, blob: bytes) -> None:
        ids, xy, yaw = codec.poses_to_float(codec.decode_poses(blob))
        now = time.perf_counter()
        for i, (x, y), h in zip(ids.tolist(), xy.tolist(), yaw.tolist()):
            self.poses[i] = (x, y, h)
            self.pose_times[i] = now

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda d: True, timeout: float = 5.0, since: int = 0
    ) -> Any:
        found: list = []

        def check() -> bool:
            for ev, data in self.inbox[since:]:
                if ev == event and predicate(data):
                    found.append(data)
                    return True
            return False

        await self.wait_until(check, timeout)
        return found[0]

    def drop_link(self) -> None:
        """Cut the TCP connection under the websocket, as a flaky link would (for tests)."""
        self.sio.eio.ws._conn.transport.abort()

    # --- voice ---------------------------------------------------------------------------
    def start_voice(self, source: AudioSource | None = None, sink: AudioSink | None = None, **kw: Any) -> VoiceLink:
        """Speak and listen: a VoiceLink on this connection, ticking every 20 ms until `stop_voice`.
        Without devices it listens into a FileSink (`bot.voice.sink.pcm()`) and says nothing."""
        from client.voice import FileSink, VoiceLink

        self.voice = VoiceLink(self.emit, source, sink if sink is not None else FileSink(), **kw)
        self.voice.start()
        return self.voice

    async def stop_voice(self) -> None:
        if self.voice is not None:
            await self.voice.close()

    async def close(self) -> None:
        await self.stop_voice()
        await super().close()

    # --- conveniences ---------------------------------------------------------------
    async def join(self, room: str) -> dict:
        return await self.call(events.JOIN, {"room": room})

    async def move(self, forward: float, strafe: float = 0.0, turn: float = 0.0, avatar: int | None = None):
        p = {"forward": forward, "strafe": strafe, "turn": turn}
        if avatar is not None:
            p["avatar"] = avatar
        return await self.call(events.MOVE, p)

    async def say(self, text: str, **extra) -> dict:
        return await self.call(events.SAY, {"text": text, **extra})


async def speak_file(bot: Bot, path: str) -> None:
    """Say a WAV file aloud in the room: push-to-talk held while it plays (file devices, no sound card)."""
    from client.voice import FRAME_S, FileSource

    source = FileSource(path)
    link = bot.voice or bot.start_voice()
    link.source = source
    link.press()
    try:
        while not source.done and link.talking:
            await asyncio.sleep(FRAME_S)
        await asyncio.sleep(5 * FRAME_S)  # the last frames leave before the key is let go
    finally:
        link.release()
    if link.refusal:
        raise WireError(link.refusal.get("code", "forbidden"), link.refusal.get("message", "Voice was refused."))


async def connect_bot(base_url: str, name: str, password: str, **kw) -> Bot:
    bot = Bot(base_url, **kw)
    await bot.login(name, password)
    await bot.connect()
    return bot


async def run(args: argparse.Namespace, password: str) -> int:
    try:
        bot = Bot(args.server, reconnect=False, ca_file=args.ca_file)
    except WireError as e:  # an unreadable CA file
        print(f"{e.code}: {e}", file=sys.stderr)
        return 1
    try:
        await bot.login(args.user, password)
        await bot.connect()
        joined = await bot.join(args.room)
        print(f"joined {joined['room']['name']} as avatar {joined['you']}", flush=True)
        if args.walk > 0:
            await bot.move(1.0)
            await asyncio.sleep(args.walk)
            await bot.move(0.0)
            await bot.wait_until(lambda: bot.avatar in bot.poses, timeout=5)
            x, y, _ = bot.poses[bot.avatar]
            print(f"walked to {x:.2f}, {y:.2f}", flush=True)
        for line in args.say:
            await bot.say(line)
            print(f"said: {line}", flush=True)
        for path in args.speak:
            await speak_file(bot, path)
            print(f"spoke: {path}", flush=True)
        await bot.call(events.LEAVE)
        return 0
    except (WireError, TimeoutError) as e:
        print(f"{getattr(e, 'code', 'timeout')}: {e}", file=sys.stderr)
        return 1
    finally:
        await bot.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m client.bot",
        description="A headless peerspace client: signs in, joins a room, walks, says lines and leaves "
        "(to try a server, or to be a second person in a room).",
    )
    ap.add_argument("--server", default="http://127.0.0.1:8642", help="the server's address")
    ap.add_argument(
        "--ca-file",
        default=os.environ.get("PEERSPACE_CA_FILE") or None,
        help="for an https server with its own certificate authority: trust this CA (PEM file)",
    )
    ap.add_argument("--user", required=True, help="account name")
    ap.add_argument(
        "--password",
        help="the account's password (else $PEERSPACE_PASSWORD, else asked); --password=-x if it starts with '-'",
    )
    ap.add_argument("--room", default="cafe", help="the room to join (cafe)")
    ap.add_argument("--walk", type=float, default=1.0, help="seconds to walk forward (0: stand still)")
    ap.add_argument("--say", action="append", default=[], help="a line to say (repeat for more)")
    ap.add_argument(
        "--speak", action="append", default=[], metavar="WAV", help="a WAV file to say aloud (repeat for more)"
    )
    args = ap.parse_args(argv)
    password = args.password or os.environ.get("PEERSPACE_PASSWORD") or getpass.getpass(f"Password for {args.user}: ")
    return asyncio.run(run(args, password))


if __name__ == "__main__":
    sys.exit(main())
