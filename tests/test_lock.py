"""The dependency lock (requirements.txt, requirements-dev.txt; tools/lock.py) serves pyproject.toml: every
requirement pinned within its bounds, every pin hashed, the server's lock the same versions as the one tests run on."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lock", ROOT / "tools" / "lock.py")
assert _spec is not None and _spec.loader is not None
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_committed_lock_serves_pyproject():
    for name in lock.LOCKS:
        assert lock.problems(PYPROJECT, name, (ROOT / name).read_text()) == []


def test_the_makefile_locks_the_extras_the_check_expects():
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("SERVER_EXTRAS"))
    assert tuple(line.split(":=")[1].split()) == lock.LOCKS["requirements.txt"]


def test_every_pin_carries_hashes():
    for name in lock.LOCKS:
        # a pin line ends with a continuation; the next line is its first hash (pip --require-hashes needs one)
        lines = (ROOT / name).read_text().splitlines()
        unhashed = [
            line
            for i, line in enumerate(lines)
            if re.match(r"^[A-Za-z0-9]", line) and not (i + 1 < len(lines) and "--hash=sha256:" in lines[i + 1])
        ]
        assert unhashed == [], f"{name}: pins without hashes: {unhashed}"


def test_the_server_lock_takes_the_tested_versions():
    server, dev = (lock.pins((ROOT / name).read_text()) for name in ("requirements.txt", "requirements-dev.txt"))
    assert server, "requirements.txt pins nothing"
    assert {name: server[name] for name in server} == {name: dev.get(name) for name in server}
    assert {"python-socketio", "python-engineio", "aiohttp"} <= server.keys()
    assert "pytest" not in server and "pytest" in dev  # the server's lock holds no test tools


def test_a_lock_that_misses_or_outgrows_pyproject_is_named():
    pyproject = {
        "project": {
            "dependencies": ["aiohttp>=3.15,<3.16", "psycopg>=3.2,<4"],
            "optional-dependencies": {
                "scale": ["Redis>=5,<9"],
                "metrics": [],
                "postgresql": [],
                "fast": [],
                "test": ["pytest"],
            },
        }
    }
    text = "aiohttp==3.14.5 \\\n    --hash=sha256:00\nredis==8.1.0 \\\n    --hash=sha256:11\n"
    assert lock.problems(pyproject, "requirements.txt", text) == [
        "requirements.txt pins aiohttp==3.14.5, outside pyproject's aiohttp<3.16,>=3.15",
        "requirements.txt has no pin for psycopg<4,>=3.2 (pyproject asks for it)",
    ]
    # the dev lock holds every extra, tests' included
    assert "requirements-dev.txt has no pin for pytest (pyproject asks for it)" in lock.problems(
        pyproject, "requirements-dev.txt", text
    )


def test_upgrade_prints_each_changed_pin():
    old = "aiohttp==3.14.5 \\\nnumpy==2.4.6 ; python_full_version < '3.12' \\\nsix==1.16.0 \\\nyarl==1.25.1 \\\n"
    new = (
        "aiohttp==3.14.6 \\\nnumpy==2.4.6 ; python_full_version < '3.12' \\\n"
        "numpy==2.5.5 ; python_full_version >= '3.12' \\\nwheel==0.45.0 \\\nyarl==1.25.1 \\\n"
    )
    assert lock.diff(old, new) == [
        "  aiohttp 3.14.5 -> 3.14.6",
        "  numpy 2.4.6 -> 2.4.6, 2.5.5",
        "- six 1.16.0",
        "+ wheel 0.45.0",
    ]
    assert lock.diff(old, old) == []
