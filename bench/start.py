"""Server start: reading the content files (scenarios, courses, care and safety YAML) with libyaml against
PyYAML's own parser, in the same process.

    .venv/bin/python bench/start.py [--repeat 9]

Every server start reads and checks every scenario (each example phrase matched against its node's matcher),
and the test suite starts a server for most of its tests; server/yamltext.py reads with libyaml and falls
back to PyYAML's parser only for a broken file. Prints the median of --repeat for each reader and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's server, not an installed one

from server import yamltext  # noqa: E402
from server.app import build_app  # noqa: E402
from server.appkeys import STORE  # noqa: E402
from server.config import Config  # noqa: E402
from server.scenarios.loader import load_folders  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def build(data: Path) -> None:
    app = build_app(Config.from_env(data_dir=str(data), database=str(data / "peerspace.db")))
    app[STORE].close()  # nothing else was started: build_app reads files and opens the store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="peerspace-start-") as folder:
        data = Path(folder)
        build(data)  # imports, the store's file and migrations: not what is compared
        readers = (("PyYAML's parser (baseline)", yaml.SafeLoader), ("libyaml (server/yamltext.py)", yaml.CSafeLoader))
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in readers}
        for _ in range(args.repeat):  # the two readers take turns, so a busy moment costs both alike
            for name, loader in readers:
                yamltext._FAST = loader
                start = time.perf_counter()
                load_folders([SCENARIOS])
                middle = time.perf_counter()
                build(data)
                times[name].append((middle - start, time.perf_counter() - middle))
        rows = [
            (name, statistics.median(s for s, _ in runs) * 1000, statistics.median(w for _, w in runs) * 1000)
            for name, runs in times.items()
        ]
    print(f"{'reader':<30} {'scenarios ms':>13} {'build_app ms':>13}")
    for name, scenarios, whole in rows:
        print(f"{name:<30} {scenarios:>13.1f} {whole:>13.1f}")
    (_, s0, w0), (_, s1, w1) = rows
    print(f"ratio libyaml / baseline: scenarios {s1 / s0:.2f}, build_app {w1 / w0:.2f}")


if __name__ == "__main__":
    main()
