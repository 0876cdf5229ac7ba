"""Every script in bench/ loads as docs/performance.md runs it (`.venv/bin/python bench/NAME.py`).

A script runs with bench/ first on its path, not the repository root the test suite has, so an import that works
under pytest can fail there (bench/latency_probe.py could not import the tests' ServerProcess for that reason).
Each script is loaded in a process of its own, as that command would, without running its benchmark.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "bench").glob("*.py"))
LOAD = "import runpy, sys; sys.path[0] = sys.argv[1]; runpy.run_path(sys.argv[2], run_name='loaded_by_the_test')"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_a_bench_script_loads_from_the_command_line(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(script.parent), str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
