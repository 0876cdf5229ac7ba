"""The installable desktop client: Panda3D's own `build_apps` (setuptools; direct.dist), and a check of what it built.

    python tools/bundle.py build [--platform P]... [--build-dir DIR]   # the bundle(s), from the lock's versions
    python tools/bundle.py check [--build-dir DIR]                      # Linux: run the built binary (CI)

`build` writes the client's packages, pinned with their hashes from requirements-dev.txt (the lock), to a
requirements file, and runs build_apps with BUILD_APPS below: pip downloads each target platform's wheels from PyPI
(hash-checked), and build_apps freezes client/ and wire/ with Panda3D's Python runtime into
<build-dir>/<platform>/peerspace-client (Windows: peerspace-client.exe; macOS: an .app). With no --platform it builds
every platform in PLATFORMS; CI builds Linux only (`make bundle-check`).

`check` starts a real server (`python -m server serve`, a fresh data folder), adds an account, and runs the built
binary offscreen against it: sign in, join a room, save a screenshot; then checks the picture (a room drawn, not a
blank or login-screen frame). Exit status 0 when all went well; what failed otherwise.

docs/deploy.md, "Installing the client", says how to build for each platform and what a person sees at first start.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-dev.txt"

# the platforms a release is built for; CI builds the first only. manylinux_2_28: glibc 2.28 or newer (Debian 10,
# Ubuntu 20.04, RHEL 8 and later); it takes numpy's current wheels, which are no longer built for manylinux2014.
PLATFORMS = ["manylinux_2_28_x86_64", "win_amd64", "macosx_11_0_arm64"]
LINUX = PLATFORMS[0]

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


def build(build_dir: Path, platforms: list[str]) -> Path:
    """build_apps into build_dir (one folder per platform); returns build_dir."""
    from setuptools import setup

    build_dir.mkdir(parents=True, exist_ok=True)
    requirements = build_dir / "requirements-client.txt"
    requirements.write_text(client_requirements())
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


def check(build_dir: Path, out: Path) -> int:
    """Run the built Linux binary against a real server over https/wss (a CA of the check's own): sign in, join,
    screenshot; then look at the picture. TLS on purpose: the bundle's own OpenSSL is what most needs checking."""
    exe = binary(build_dir)
    if not exe.exists():
        print(f"bundle check: {exe} is missing; run `python tools/bundle.py build --platform {LINUX}` first")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="peerspace-bundle-"))
    port = _free_port()
    env = {**os.environ, "PEERSPACE_DATA_DIR": str(data), "PEERSPACE_PACE_SCALE": "0"}
    server_cmd = [sys.executable, "-m", "server", "--data-dir", str(data)]
    subprocess.run(
        [*server_cmd, "user", "add", "Robin", "--role", "participant", "--password", "bundle-check-pw"],
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
            "20",
            "--timeout",
            "40",
            "--state-file",
            str(out / "bundle-state.json"),
        ]
        started = time.monotonic()
        run = subprocess.run(cmd, cwd=data, env=client_env, capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        # a GUI app writes its output to its log file (BUILD_APPS log_filename), not to the terminal
        app_log = data / "home" / ".local" / "share" / "peerspace" / "client.log"
        (out / "client.log").write_text(run.stdout + run.stderr + (app_log.read_text() if app_log.exists() else ""))
        if run.stdout.strip():
            print(run.stdout.strip())
        if run.returncode != 0 or not shot.exists():
            print(f"bundle check: the client exited {run.returncode}; see {out / 'client.log'}")
            print(run.stderr[-3000:])
            return 1
        state = json.loads((out / "bundle-state.json").read_text())  # what the client itself says it shows
        if not state.get("in_room") or state.get("screen") is not None:
            print(f"bundle check: the client is not in the room (screen {state.get('screen')}); see {out}")
            return 1
        problem = look_at(shot)
        if problem:
            print(f"bundle check: {shot}: {problem}")
            return 1
        print(f"bundle check: ok: signed in, joined and drew the room in {took:.1f} s ({shot})")
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
    c = sub.add_parser("check", help="run the built Linux client against a real server (sign in, join, screenshot)")
    c.add_argument("--build-dir", type=Path, default=ROOT / "build" / "bundle")
    c.add_argument("--out", type=Path, default=ROOT / "out" / "bundle")
    a = p.parse_args(argv)
    if a.command == "build":
        build(a.build_dir.resolve(), a.platform or PLATFORMS)
        return 0
    return check(a.build_dir.resolve(), a.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
