"""The installable desktop client: Panda3D's own `build_apps` (setuptools; direct.dist), and a check of what it built.

    python tools/bundle.py build [--platform P]... [--build-dir DIR]   # the bundle(s), from the lock's versions
    python tools/bundle.py check [--build-dir DIR]                      # Linux: run the built binary (CI)

`build` writes the client's packages, pinned with their hashes from requirements-dev.txt (the lock), to a
requirements file, and runs build_apps with BUILD_APPS below: pip downloads each target platform's wheels from PyPI
(hash-checked), and build_apps freezes client/ and wire/ with Panda3D's Python runtime into
<build-dir>/<platform>/peerspace-client (Windows: peerspace-client.exe; macOS: an .app). With no --platform it builds
every platform in PLATFORMS; CI builds Linux only (`make bundle-check`).

`check` starts a real server (`python -m server serve`, a fresh data folder), adds two accounts, and runs the built
binary offscreen against it: sign in, join a room, save a screenshot; then checks the picture (a room drawn, not a
blank or login-screen frame). Voice, both ways, with a real Socket.IO bot in the same room: the built client says
an espeak-ng sentence (its file-backed microphone, --voice-in, in voice-activity mode) and the bot must hear that
sentence; the bot says another one and the built client must hear it (--voice-out). So the bundle's libopus, its
encoder and decoder and its jitter buffer all ran. Exit status 0 when all went well; what failed otherwise.

docs/deploy.md, "Installing the client", says how to build for each platform and what a person sees at first start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # check() talks to the built client with client.bot from this checkout
LOCK = ROOT / "requirements-dev.txt"

# the platforms a release is built for; CI builds the first only. manylinux_2_28: glibc 2.28 or newer (Debian 10,
# Ubuntu 20.04, RHEL 8 and later); it takes numpy's current wheels, which are no longer built for manylinux2014.
# macOS 14 (Sonoma) or newer on Apple silicon: PyAV's wheels (libopus, for voice) are built for nothing older.
PLATFORMS = ["manylinux_2_28_x86_64", "win_amd64", "macosx_14_0_arm64"]
LINUX, WINDOWS, MACOS = PLATFORMS

# The client's packages (with everything they need, as the lock resolves it): the bundle holds these and no more.
CLIENT_PACKAGES = [
    "panda3d",
    "python-socketio",
    "python-engineio",
    "bidict",
    "simple-websocket",
    "wsproto",
    "h11",
    "aiohttp",
    "aiohappyeyeballs",
    "aiosignal",
    "attrs",
    "frozenlist",
    "multidict",
    "propcache",
    "yarl",
    "idna",
    "typing-extensions",
    "msgpack",
    "numpy",
    "babel",  # dates and plural rules in the reader's language (client/ui/records.py, client/i18n.py)
    # voice: PortAudio through sounddevice (its cffi module needs cffi's _cffi_backend; pycparser is cffi's
    # requirement, not used at run time); Windows and macOS wheels carry PortAudio (WHEEL_LIBRARIES)
    "sounddevice",
    "cffi",
    "pycparser",
    # not frozen into the client: its wheel supplies libopus, the one file of it the bundle takes (WHEEL_LIBRARIES)
    "av",
    # not frozen into the client: its wheel supplies the Linux bundle's OpenSSL (see OPENSSL_FROM below)
    "psycopg-binary",
]

BUILD_APPS = {
    "gui_apps": {"peerspace-client": "tools/bundle_main.py"},
    # Modules the freezer's import scan cannot see, because they are imported by name at run time. Without the
    # engine.io client's drivers and aiohttp's websocket reader the client stays at "Signing in..." (the connect
    # task dies on an ImportError in the background); encodings.idna: non-ASCII host names.
    "include_modules": {
        "*": [
            "client.*",
            "client.avatars.*",
            "client.scene.*",
            "client.ui.*",
            "wire.*",
            "engineio.async_drivers.aiohttp",
            "engineio.async_client",
            "socketio.async_client",
            "socketio.msgpack_packet",
            "aiohttp.*",
            "aiohttp._websocket.*",
            "msgpack.*",
            # numpy 2's C core imports these by name (Panda3D's freezer knows numpy 1's numpy.core names only)
            "numpy._core._dtype",
            "numpy._core._dtype_ctypes",
            "numpy._core._exceptions",
            "numpy._core._internal",
            "numpy._core._methods",
            "numpy._core.arrayprint",
            "numpy._core.numeric",
            "numpy._core.printoptions",
            "numpy._globals",
            "numpy.dtypes",
            "numpy.exceptions",
            "numpy.linalg",
            "encodings.idna",
            "asyncio.*",
            # voice: client/voice/devices.py imports sounddevice when a device is opened, and sounddevice's
            # compiled PortAudio declarations are a cffi module (_sounddevice) on cffi's C backend
            "sounddevice",
            "_sounddevice",
            "_cffi_backend",
            "ctypes",
            "ctypes.util",
        ]
    },
    # never used by the client: a smaller bundle, a faster build
    "exclude_modules": {
        "*": [
            "tkinter",
            "tkinter.*",
            "unittest",
            "unittest.*",
            "pydoc",
            "numpy.testing.*",
            "numpy.f2py.*",
            "numpy.distutils.*",
            "server",
            "server.*",
            "yaml",
            # in the build's venv (the server's, the test tools'), found by the freezer through optional imports
            "uvloop",
            "uvloop.*",
            "redis",
            "redis.*",
            "psycopg",
            "psycopg.*",
            "psycopg_binary",
            "psycopg_binary.*",
            "jinja2",
            "jinja2.*",
            "prometheus_client",
            "prometheus_client.*",
            "numpy._core.tests.*",
            "numpy.tests.*",
            "setuptools",
            "setuptools.*",
            "pip",
            "pip.*",
            # PyAV: only its libopus travels (WHEEL_LIBRARIES); cffi's compiler front end is not needed to run
            "av",
            "av.*",
            "cffi",
            "cffi.*",
            "pycparser",
            "pycparser.*",
        ]
    },
    "include_patterns": [
        "assets/palette.json",
        "assets/fonts/*.ttf",
        "assets/fonts/*.txt",
        "client/locale/*/LC_MESSAGES/*.mo",  # compiled by build() first; client/i18n.py finds them beside the program
    ],
    "exclude_patterns": ["**/__pycache__/**", "**/*.pyc"],
    # OpenGL on a desktop, EGL offscreen (no display: tests, CI), software rendering as the last resort
    "plugins": ["pandagl", "p3headlessgl", "p3tinydisplay"],
    # PyPI's wheels only: archive.panda3d.org's optimized and third-party indexes are not needed
    "use_optimized_wheels": False,
    "pypi_extra_indexes": [],
    "log_filename": "$USER_APPDATA/peerspace/client.log",
    "log_append": False,
}


def client_requirements(lock: Path = LOCK) -> str:
    """The lock's entries (version, markers, hashes) for CLIENT_PACKAGES, as a requirements file."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lock.read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)==", line)
        if m:
            name = m.group(1).lower().replace("_", "-")
            current = blocks.setdefault(name, [])
            current.append(line)
        elif current is not None and line.startswith("    --hash"):
            current.append(line)
        else:
            current = None
    missing = [p for p in CLIENT_PACKAGES if p not in blocks]
    if missing:
        raise SystemExit(
            f"bundle: {', '.join(missing)} not in {lock.name}; add them to the client extra and run make lock"
        )
    return "\n".join(line for p in CLIENT_PACKAGES for line in blocks[p]) + "\n"


# Tags pip must accept besides the platform's own. Panda3D's Linux wheels are tagged manylinux2014 only, and pip
# does not count that legacy name as older than manylinux_2_28; numpy's current wheels are manylinux_2_28 only.
ALSO_ACCEPT = {LINUX: "manylinux2014_x86_64"}


def build_apps_command() -> type:
    from direct.dist.commands import build_apps

    class BuildApps(build_apps):  # type: ignore[misc]
        def download_wheels(self, platform: str) -> list[str]:
            # build_apps runs `pip download --platform P`; pip adds PIP_PLATFORM's tags to the command line's
            before = os.environ.get("PIP_PLATFORM")
            if platform in ALSO_ACCEPT:
                os.environ["PIP_PLATFORM"] = ALSO_ACCEPT[platform]
            try:
                return list(super().download_wheels(platform))
            finally:
                if before is None:
                    os.environ.pop("PIP_PLATFORM", None)
                else:
                    os.environ["PIP_PLATFORM"] = before

    return BuildApps


# Panda3D's Linux runtime has Python's _ssl and _hashlib but not the OpenSSL they link to, and they need OpenSSL 3.3
# or newer (X509_STORE_get1_objects), which Debian 12 and Ubuntu 24.04 do not have: there `import ssl` fails and
# the client cannot sign in, over http or https. So the Linux bundle carries an OpenSSL of its own, the one in
# psycopg-binary's wheel (3.5, from the lock, hash-checked), under the names _ssl needs; the freezer's runtime
# looks for libraries beside the program first ($ORIGIN). Windows and macOS runtimes bring their own.
OPENSSL_FROM = {LINUX: ("psycopg_binary", "psycopg_binary.libs/", ("libssl", "libcrypto"))}


def add_openssl(build_dir: Path, platform: str) -> list[str]:
    """Copy the OpenSSL libraries from the downloaded wheel into the platform's bundle; returns what was added."""
    import zipfile

    if platform not in OPENSSL_FROM:
        return []
    wheel_name, folder, libraries = OPENSSL_FROM[platform]
    cache = next((build_dir / "__whl_cache__").glob(f"{platform}_*"))
    wheel = next(cache.glob(f"{wheel_name}-*.whl"))
    target = build_dir / platform
    added = []
    with zipfile.ZipFile(wheel) as whl:
        for member in whl.namelist():
            name = member.removeprefix(folder)
            library = name.split("-", 1)[0]
            if member.startswith(folder) and library in libraries and name.endswith(".so.3"):
                (target / name).write_bytes(whl.read(member))
                (target / name).chmod(0o755)
                # the name _ssl.so asks for, pointing at the same file: the loader maps it once (same inode)
                link = target / f"{library}.so.3"
                link.unlink(missing_ok=True)
                link.symlink_to(name)
                added += [name, link.name]
    if len(added) != 2 * len(libraries):
        raise SystemExit(f"bundle: {wheel.name} no longer holds {' and '.join(libraries)} in {folder}")
    return added


# Shared libraries the bundle takes from the downloaded wheels (hash-checked, from the lock), per platform:
# (wheel, the library's path in the wheel (a glob), its path in the bundle). They go beside the program; in a macOS
# app, into Contents/Frameworks. libopus: client/voice/codec.py looks for it there under codec.BUNDLED_NAMES. PortAudio:
# the Windows and macOS wheels of sounddevice carry it in _sounddevice_data/, which tools/bundle_main.py points
# sounddevice to; on Linux sounddevice loads the system's libportaudio2 (docs/deploy.md).
WHEEL_LIBRARIES: dict[str, list[tuple[str, str, str]]] = {
    LINUX: [("av", "av.libs/libopus-*.so.*", "libopus.so.0")],
    WINDOWS: [
        ("av", "av.libs/libopus-0-*.dll", "libopus-0.dll"),
        ("sounddevice", "_sounddevice_data/portaudio-binaries/libportaudio64bit.dll", "_sounddevice_data/"),
    ],
    MACOS: [
        ("av", "av/.dylibs/libopus.0.dylib", "libopus.0.dylib"),
        ("sounddevice", "_sounddevice_data/portaudio-binaries/libportaudio.dylib", "_sounddevice_data/"),
    ],
}


def bundle_root(build_dir: Path, platform: str) -> Path:
    """Where the bundle's libraries go: beside the program, or a macOS app's Frameworks folder."""
    target = build_dir / platform
    app = target / "peerspace-client.app"
    return app / "Contents" / "Frameworks" if app.is_dir() else target


def add_wheel_libraries(build_dir: Path, platform: str) -> list[str]:
    """Copy WHEEL_LIBRARIES[platform] from the downloaded wheels into the bundle; returns what was added. A path
    ending in / keeps the library's path in the wheel below it (sounddevice looks for portaudio-binaries/)."""
    import fnmatch
    import zipfile

    cache = next((build_dir / "__whl_cache__").glob(f"{platform}_*"))
    root = bundle_root(build_dir, platform)
    added = []
    for wheel_name, pattern, target in WHEEL_LIBRARIES.get(platform, []):
        wheel = next(cache.glob(f"{wheel_name}-*.whl"), None)
        if wheel is None:
            raise SystemExit(f"bundle: no {wheel_name} wheel for {platform} in {cache}")
        with zipfile.ZipFile(wheel) as whl:
            members = [m for m in whl.namelist() if fnmatch.fnmatch(m, pattern)]
            if len(members) != 1:
                raise SystemExit(f"bundle: {wheel.name} holds {len(members)} files like {pattern}, not one")
            path = root / (target + members[0].split("/", 1)[1] if target.endswith("/") else target)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(whl.read(members[0]))
            path.chmod(0o755)
            added.append(str(path.relative_to(build_dir / platform)))
    return added


def build(build_dir: Path, platforms: list[str], lock: Path = LOCK) -> Path:
    """build_apps into build_dir (one folder per platform); returns build_dir."""
    from setuptools import setup

    build_dir.mkdir(parents=True, exist_ok=True)
    requirements = build_dir / "requirements-client.txt"
    requirements.write_text(client_requirements(lock))
    os.chdir(ROOT)  # build_apps reads the apps and include_patterns relative to the working directory
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # its module finder searches sys.path: client/ and wire/ are here
    from tools.catalogs import compile_stale

    compile_stale()  # the translations travel compiled (include_patterns)
    options = {
        **BUILD_APPS,
        "platforms": platforms,
        "build_base": str(build_dir),
        "requirements_path": str(requirements),
    }
    started = time.monotonic()
    setup(
        name="peerspace-client",
        version="0.1.0",
        options={"build_apps": options},
        cmdclass={"build_apps": build_apps_command()},
        script_args=["build_apps"],
        script_name="tools/bundle.py",
    )
    for platform in platforms:
        added = add_openssl(build_dir, platform)
        if added:
            print(f"bundle: {platform}: OpenSSL from psycopg-binary's wheel: {', '.join(added)}")
        added = add_wheel_libraries(build_dir, platform)
        if added:
            print(f"bundle: {platform}: voice libraries from the wheels: {', '.join(added)}")
    print(f"bundle: built {', '.join(platforms)} in {time.monotonic() - started:.0f} s into {build_dir}")
    return build_dir


def binary(build_dir: Path, platform: str = LINUX) -> Path:
    return build_dir / platform / "peerspace-client"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA of the check's own and a certificate for 127.0.0.1 signed by it (openssl): (ca, cert, key)."""
    ca, ca_key, cert, key = folder / "ca.pem", folder / "ca.key", folder / "cert.pem", folder / "cert.key"
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    for cmd in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=peerspace bundle check CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", folder / "cert.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", folder / "cert.csr", "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, cmd)], check=True, capture_output=True, timeout=60)
    return ca, cert, key


# what the built client says into the room, and what the bot says back (espeak-ng, both about 3 s)
CLIENT_SAYS = "Hello from the installed client. Can everyone in the cafe hear me?"
BOT_SAYS = "Yes, I can hear you well. The weather is cold today."
# How well speech was heard: the sentence is cut into 0.4 s pieces, each piece's best normalised correlation with
# any 0.4 s of what was heard is taken, and the median of those is the score. Pieces, not the whole sentence at one
# lag, because a loaded 2-core machine stalls a client's frame loop now and then, and each stall stretches the
# sentence (a file-backed microphone pauses with the loop) or skips a little of it: whole-sentence correlation then
# falls to ~0.4 although every word was heard. Measured: the sentence said scores 0.95-0.96 in the pieces that got
# through, the other sentence (same voice, same words' sounds) 0.24-0.37.
HEARD_THRESHOLD = 0.6
PIECE = 19_200  # samples: 0.4 s at 48 kHz
VOICE_FRAMES = 210  # frames the built client stays in the room: 7 s at 30 fps, both sentences and their tails
VOICE_FPS = 30  # fewer frames drawn leave the loaded CI machine more time for the voice's 20 ms ticks


def speech(text: str, path: Path) -> Any:
    """espeak-ng's speech as 48 kHz int16 (client/voice/devices.py read_wav); also written to path (16-bit WAV)."""
    from client.voice.devices import read_wav

    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True, timeout=60)
    return read_wav(path)


def heard_score(said: Any, heard: Any) -> float:
    """The median over `said`'s 0.4 s pieces of speech of each one's peak normalised correlation with `heard`."""
    import numpy as np

    h = np.asarray(heard, np.float64)
    if len(h) < PIECE:
        return 0.0
    energy = np.concatenate([[0.0], np.cumsum(h**2)])
    window = energy[PIECE:] - energy[:-PIECE]  # the energy of each PIECE of `heard`
    n = 1 << int(np.ceil(np.log2(len(h) + PIECE)))
    spectrum = np.fft.rfft(h, n)
    scores = []
    for start in range(0, len(said) - PIECE + 1, PIECE):
        piece = np.asarray(said[start : start + PIECE], np.float64)
        norm = float(np.linalg.norm(piece))
        if norm < 500 * np.sqrt(PIECE):  # a pause between words, not speech
            continue
        xc = np.fft.irfft(spectrum * np.conj(np.fft.rfft(piece, n)), n)[: len(window)]
        loud = window >= 0.1 * norm**2  # near-silence would divide by almost nothing
        scores.append(float(np.max(np.where(loud, np.abs(xc) / (norm * np.sqrt(np.maximum(window, 1e-9))), 0.0))))
    return float(np.median(scores)) if scores else 0.0


async def voice_partner(url: str, ca: Path, client: subprocess.Popen[str], says: Path, timeout: float) -> Any:
    """A bot in the cafe while the built client runs: it listens, says `says` once the client has joined, and
    keeps listening until the client exits. Returns what it heard (int16)."""
    from client.bot import connect_bot, speak_file
    from client.voice import FileSink

    bot = await connect_bot(url, "Sam", "bundle-check-pw", ca_file=str(ca), reconnect=False)
    try:
        await bot.join("cafe")
        sink = FileSink()
        bot.start_voice(sink=sink)
        deadline = time.monotonic() + timeout
        while not any(m.get("name") == "Robin" for m in bot.members.values()):
            if client.poll() is not None or time.monotonic() > deadline:
                return sink.pcm()
            await asyncio.sleep(0.05)
        await speak_file(bot, str(says))
        while client.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return sink.pcm()
    finally:
        await bot.close()


def check(build_dir: Path, out: Path) -> int:
    """Run the built Linux binary against a real server over https/wss (a CA of the check's own): sign in, join,
    speak and listen with a bot in the room, screenshot; then look at the picture and compare what was heard with
    what was said. TLS on purpose: the bundle's own OpenSSL is what most needs checking."""
    exe = binary(build_dir)
    if not exe.exists():
        print(f"bundle check: {exe} is missing; run `python tools/bundle.py build --platform {LINUX}` first")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="peerspace-bundle-"))
    port = _free_port()
    env = {**os.environ, "PEERSPACE_DATA_DIR": str(data), "PEERSPACE_PACE_SCALE": "0"}
    server_cmd = [sys.executable, "-m", "server", "--data-dir", str(data)]
    for name in ("Robin", "Sam"):  # Robin runs the built client; Sam is the bot that talks with it
        subprocess.run(
            [*server_cmd, "user", "add", name, "--role", "participant", "--password", "bundle-check-pw"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    ca, cert, key = make_certificates(data)
    ready = data / "ready"
    log = open(out / "server.log", "w")
    server = subprocess.Popen(
        [
            *server_cmd,
            "serve",
            "--port",
            str(port),
            "--ready-file",
            str(ready),
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                print(f"bundle check: the server did not start; see {out / 'server.log'}")
                return 1
            time.sleep(0.05)
        shot = out / "bundle-room.png"
        # a clean environment: nothing from this checkout or its venv can leak into the bundle's imports
        client_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PEERSPACE"))}
        client_env["HOME"] = str(data / "home")  # a first start: no settings file yet
        client_env["XDG_CONFIG_HOME"] = str(data / "home" / ".config")
        client_says, bot_says, heard_wav = data / "client-says.wav", data / "bot-says.wav", out / "bundle-heard.wav"
        said, bot_said = speech(CLIENT_SAYS, client_says), speech(BOT_SAYS, bot_says)
        heard_wav.unlink(missing_ok=True)
        settings = data / "client.json"
        settings.write_text(json.dumps({"voice_mode": "activity"}))  # heard when it speaks: no key to hold
        cmd = [
            str(exe),
            "--server",
            f"https://127.0.0.1:{port}",
            "--ca-file",
            str(ca),
            "--user",
            "Robin",
            "--password",
            "bundle-check-pw",
            "--room",
            "cafe",
            "--offscreen",
            "--screenshot",
            str(shot),
            "--frames",
            str(VOICE_FRAMES),
            "--fps",
            str(VOICE_FPS),
            "--timeout",
            "40",
            "--state-file",
            str(out / "bundle-state.json"),
            "--settings",
            str(settings),
            "--voice-in",
            str(client_says),
            "--voice-out",
            str(heard_wav),
        ]
        started = time.monotonic()
        client = subprocess.Popen(
            cmd, cwd=data, env=client_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            bot_heard = asyncio.run(voice_partner(f"https://127.0.0.1:{port}", ca, client, bot_says, timeout=90))
            stdout, stderr = client.communicate(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        took = time.monotonic() - started
        # a GUI app writes its output to its log file (BUILD_APPS log_filename), not to the terminal
        app_log = data / "home" / ".local" / "share" / "peerspace" / "client.log"
        (out / "client.log").write_text(stdout + stderr + (app_log.read_text() if app_log.exists() else ""))
        if stdout.strip():
            print(stdout.strip())
        if client.returncode != 0 or not shot.exists():
            print(f"bundle check: the client exited {client.returncode}; see {out / 'client.log'}")
            print(stderr[-3000:])
            return 1
        state = json.loads((out / "bundle-state.json").read_text())  # what the client itself says it shows
        if not state.get("in_room") or state.get("screen") is not None:
            print(f"bundle check: the client is not in the room (screen {state.get('screen')}); see {out}")
            return 1
        problem = look_at(shot)
        if problem:
            print(f"bundle check: {shot}: {problem}")
            return 1
        from client.voice.devices import read_wav, write_wav

        write_wav(out / "bot-heard.wav", bot_heard)  # beside bundle-heard.wav: both sides' ears, for a failure
        client_heard = read_wav(heard_wav) if heard_wav.exists() else bot_said[:0]
        bot_score, client_score = heard_score(said, bot_heard), heard_score(bot_said, client_heard)
        print(
            f"bundle check: voice: the bot heard the client's sentence (score {bot_score:.2f}; the other sentence "
            f"{heard_score(bot_said, bot_heard):.2f}), the client heard the bot's ({client_score:.2f}; the other "
            f"{heard_score(said, client_heard):.2f}); threshold {HEARD_THRESHOLD}"
        )
        if bot_score < HEARD_THRESHOLD or client_score < HEARD_THRESHOLD:
            print(f"bundle check: voice did not go both ways; see {out / 'client.log'} and {heard_wav}")
            return 1
        print(f"bundle check: ok: signed in, joined, spoke, heard and drew the room in {took:.1f} s ({shot})")
        return 0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def look_at(shot: Path) -> str:
    """'' when the picture shows a room (many colours, the sky at the top and a floor at the bottom), else why not."""
    from panda3d.core import PNMImage

    img = PNMImage()
    if not img.read(str(shot)):
        return "cannot be read as an image"
    w, h = img.getXSize(), img.getYSize()
    colours = {tuple(round(c, 1) for c in img.getXel(x, y)) for x in range(0, w, 8) for y in range(0, h, 8)}
    if len(colours) < 12:
        return f"only {len(colours)} colours: a blank frame, not a room"
    top = img.getXel(w // 2, 2)
    bottom = img.getXel(w // 2, h - 3)
    if sum(abs(a - b) for a, b in zip(top, bottom)) < 0.05:
        return "the top and the bottom are the same colour: no sky above a floor"
    return ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/bundle.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the client bundle(s) with build_apps")
    b.add_argument("--platform", action="append", choices=PLATFORMS, help=f"default: all of {', '.join(PLATFORMS)}")
    b.add_argument("--build-dir", type=Path, default=ROOT / "build" / "bundle")
    b.add_argument("--lock", type=Path, default=LOCK, help=f"the lock to take versions and hashes from ({LOCK.name})")
    c = sub.add_parser("check", help="run the built Linux client against a real server (sign in, join, screenshot)")
    c.add_argument("--build-dir", type=Path, default=ROOT / "build" / "bundle")
    c.add_argument("--out", type=Path, default=ROOT / "out" / "bundle")
    a = p.parse_args(argv)
    if a.command == "build":
        build(a.build_dir.resolve(), a.platform or PLATFORMS, a.lock.resolve())
        return 0
    return check(a.build_dir.resolve(), a.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
