"""examples/js-client: the JavaScript client (socket.io-client + socket.io-msgpack-parser, pinned in its
package-lock.json) logs in, joins, walks and chats against the real server, on polling upgraded to a
websocket and on long-polling only, and reads a refused token's code. Needs node and npm (`npm ci` reaches the
npm registry once; the installed packages are kept in var/js-client/ by the lockfile's hash)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "js-client"
FILES = ("package.json", "package-lock.json", "client.mjs")


@pytest.fixture(scope="session")
def js_client() -> Path:
    """A folder with the example and its node_modules, installed by `npm ci` once (kept between sessions)."""
    digest = hashlib.sha256((EXAMPLE / "package-lock.json").read_bytes()).hexdigest()[:16]
    where = Path(os.environ.get("PEERSPACE_JS_CACHE", ROOT / "var" / "js-client")) / digest
    where.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(EXAMPLE / name, where / name)
    if not (where / "node_modules" / "socket.io-client").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=where, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return where


async def run_node(where: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the example with node, without blocking the loop the server runs on."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        "client.mjs",
        *args,
        cwd=where,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode()


@pytest.mark.parametrize("transport", ["upgrade", "polling"])
async def test_the_js_example_logs_in_joins_walks_and_chats(server, js_client, transport):
    ben = await server.bot("Ben", room="cafe")
    server.add_user("Joan")
    args = ["--server", server.url, "--user", "Joan", "--room", "cafe", "--say", "hi from node"]
    code, out = await run_node(
        js_client, *args, *(["--polling"] if transport == "polling" else []), env={"PEERSPACE_PASSWORD": PASSWORD}
    )
    assert code == 0, out
    assert "joined The cafe" in out and "walked to" in out and "refused as expected: too_large" in out
    assert f"done on {'polling' if transport == 'polling' else 'websocket'}" in out, out
    assert "too_large/say" in out  # the error event names the intent
    # a Python client in the same room heard the JavaScript one
    await ben.wait_until(lambda: any(s["text"] == "hi from node" and s["name"] == "Joan" for s in ben.said), timeout=5)
    assert not ben.errors


async def test_the_js_example_reads_a_refused_tokens_code(server, js_client):
    code, out = await run_node(js_client, "--server", server.url, env={"PEERSPACE_TOKEN": "forged"})
    assert code == 3, out
    assert out.startswith("refused: unauthorized: "), out


@pytest.mark.parametrize("transport", ["upgrade", "polling"])
async def test_the_js_example_with_the_json_parser_is_told_why(server, js_client, transport):
    server.add_user("Joan")
    args = ["--server", server.url, "--user", "Joan", "--json", *(["--polling"] if transport == "polling" else [])]
    code, out = await run_node(js_client, *args, env={"PEERSPACE_PASSWORD": PASSWORD})
    assert code == 3, out
    assert out.startswith("refused: protocol: ") and "socket.io-msgpack-parser" in out, out
