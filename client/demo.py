"""`make demo`: the server, an autonomous coach and the 3D client, on the embedded SQLite database.

    python -m client.demo [--headless] [--scenario ID] [--difficulty easy|medium|hard] [--phases N]

1. `var/demo/` holds the database (created on first use) and the demo accounts: a participant
   with a pseudonym and an `agent` account for the coach. Their passwords are made up once,
   at random, and kept in `var/demo/demo-accounts.json` (readable by you only).
2. The server starts as its own process (`python -m server --data-dir var/demo serve ...`).
3. The autonomous coach starts as its own process too (`python -m server.controllers.agent`,
   role `agent`, the same protocol a peer specialist's client speaks) and takes the coach's
   role in the cafe. If it cannot, the server's in-process autonomous driver coaches instead.
4. The client signs in as the participant and joins the cafe. With a display you get a
   window: press P to choose a practice scenario. Without one (`DISPLAY` unset, or
   `--headless`) it renders offscreen, plays the scenario by itself (the first option at
   each step) and saves a picture of each phase in `out/demo/`.
5. When the client ends, the coach and the server are stopped cleanly.

client/ and server/ never import each other: the server and the coach are started as
subprocesses (`python -m ...`), which is not an import.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTICIPANT, COACH = "River", "coach-bot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def headless() -> bool:
    return sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


class Demo:
    def __init__(self, data_dir: Path, out: Path):
        self.data_dir, self.out = data_dir, out
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)

    def server_cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "server", "--data-dir", str(self.data_dir), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def accounts(self) -> dict:
        """The demo accounts: made once (pseudonyms, random passwords), then reused."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "demo-accounts.json"
        try:
            acc = json.loads(path.read_text())
            assert acc["participant"]["password"] and acc["agent"]["password"]
        except (OSError, ValueError, KeyError, TypeError, AssertionError):
            acc = {
                "participant": {"name": PARTICIPANT, "password": secrets.token_urlsafe(12)},
                "agent": {"name": COACH, "password": secrets.token_urlsafe(12)},
            }
            path.write_text(json.dumps(acc, indent=2))
            path.chmod(0o600)
        listing = self.server_cli("user", "list")
        if listing.returncode != 0:
            raise RuntimeError("could not read the demo accounts: " + listing.stderr.strip()[-300:])
        have = {line.split()[-1] for line in listing.stdout.splitlines() if line.strip()}
        for role, who in (("participant", acc["participant"]), ("agent", acc["agent"])):
            if who["name"] not in have:
                # `--password=VALUE`: a random password may start with '-', which argparse would read as an option
                made = self.server_cli("user", "add", who["name"], "--role", role, f"--password={who['password']}")
                if made.returncode != 0:
                    raise RuntimeError(f"could not add the demo account {who['name']}: {made.stderr.strip()}")
                print(f"demo: added the {role} account '{who['name']}'", flush=True)
        return acc

    def start(self, name: str, cmd: list[str], ready: Path, timeout: float, env: dict | None = None) -> bool:
        ready.unlink(missing_ok=True)
        log = open(self.data_dir / f"{name}.log", "a")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append((name, proc))
        deadline = time.time() + timeout
        while not ready.exists():
            if proc.poll() is not None or time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):  # the coach first, then the server
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.procs.clear()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m client.demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(ROOT / "var" / "demo"), help="database and demo accounts (var/demo)")
    ap.add_argument("--out", default=str(ROOT / "out" / "demo"), help="pictures when headless (out/demo)")
    ap.add_argument(
        "--headless",
        action="store_true",
        default=None,
        help="render offscreen and play by itself (automatic without a display)",
    )
    ap.add_argument("--room", default="cafe")
    ap.add_argument("--scenario", default="starting_a_conversation", help="what the headless demo plays")
    ap.add_argument("--difficulty", default="easy", choices=("easy", "medium", "hard"))
    ap.add_argument("--phases", type=int, default=None, help="headless: stop the scenario after N phases")
    ap.add_argument("--delay", type=float, default=1.2, help="headless: seconds each step stays on screen")
    ap.add_argument("--size", default="960x600")
    ap.add_argument("--port", type=int, default=None)
    args = ap.parse_args(argv)
    offscreen = headless() if args.headless is None else args.headless
    demo = Demo(Path(args.data_dir).resolve(), Path(args.out).resolve())
    try:
        acc = demo.accounts()
        port = args.port or free_port()
        url = f"http://127.0.0.1:{port}"
        print(f"demo: starting the server on {url} (data in {demo.data_dir})", flush=True)
        if not demo.start(
            "server",
            [
                sys.executable,
                "-m",
                "server",
                "--data-dir",
                str(demo.data_dir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ready-file",
                str(demo.data_dir / "server.ready"),
            ],
            demo.data_dir / "server.ready",
            60,
        ):
            print(f"demo: the server did not start; see {demo.data_dir / 'server.log'}", file=sys.stderr)
            return 1
        coach_env = {**demo.env, "PEERSPACE_AGENT_PASSWORD": acc["agent"]["password"]}
        if demo.start(
            "coach",
            [
                sys.executable,
                "-m",
                "server.controllers.agent",
                "--server",
                url,
                "--name",
                acc["agent"]["name"],
                "--room",
                args.room,
                "--role",
                "coach",
                "--ready-file",
                str(demo.data_dir / "coach.ready"),
            ],
            demo.data_dir / "coach.ready",
            30,
            env=coach_env,
        ):
            print(
                f"demo: the autonomous coach '{acc['agent']['name']}' holds the coach's role in '{args.room}'",
                flush=True,
            )
        else:
            print(
                "demo: the coach process did not start; the server's own autonomous driver coaches instead "
                f"(see {demo.data_dir / 'coach.log'})",
                flush=True,
            )
        who = acc["participant"]
        client_args = [
            "--server",
            url,
            "--user",
            who["name"],
            f"--password={who['password']}",  # one argument, even when the password starts with '-'
            "--room",
            args.room,
            "--size",
            args.size,
        ]
        if offscreen:
            for old in demo.out.glob("*.png"):
                old.unlink()
            client_args += [
                "--offscreen",
                "--settings",
                str(demo.data_dir / "client.json"),
                "--autoplay",
                args.scenario,
                "--difficulty",
                args.difficulty,
                "--shots",
                str(demo.out),
                "--autoplay-delay",
                str(args.delay),
            ]
            if args.phases is not None:
                client_args += ["--autoplay-phases", str(args.phases)]
            print(f"demo: no display, so {who['name']} plays '{args.scenario}' by itself, offscreen", flush=True)
        else:
            print(
                f"demo: opening the window; you are {who['name']}. Press P to practise a situation, F1 for keys.",
                flush=True,
            )
        from .app import main as client_main  # the client is this package; the server is a process

        code = client_main(client_args)
        if offscreen:
            pictures = sorted(demo.out.glob("*.png"))
            print(f"demo: {len(pictures)} pictures in {demo.out}/ :", flush=True)
            for p in pictures:
                print(f"  {p}", flush=True)
            if not pictures and code == 0:
                code = 1
        return code
    except KeyboardInterrupt:
        return 0
    except RuntimeError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    finally:
        demo.stop_all()
        print("demo: stopped the coach and the server", flush=True)


if __name__ == "__main__":
    sys.exit(main())
