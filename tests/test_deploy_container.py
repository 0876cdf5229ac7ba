"""The container image, checked without a container runtime: the Dockerfile passes the project's linter
(tools/lint_dockerfile.py), the linter catches each rule it claims, the files the Dockerfile copies are
enough to run the server (its health check passes and a person joins a room), and deploy/compose.yaml
wires Redis and PostgreSQL with health checks and no secret in the file."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from client.bot import Bot
from conftest import PASSWORD, ROOT, free_port

_spec = importlib.util.spec_from_file_location("lint_dockerfile", ROOT / "tools" / "lint_dockerfile.py")
assert _spec and _spec.loader
lint_dockerfile = importlib.util.module_from_spec(_spec)
sys.modules["lint_dockerfile"] = lint_dockerfile  # its dataclasses look their module up by name
_spec.loader.exec_module(lint_dockerfile)
lint, parse = lint_dockerfile.lint, lint_dockerfile.parse

DOCKERFILE = ROOT / "Dockerfile"


def test_the_dockerfile_passes_the_linter():
    out = subprocess.run(
        [sys.executable, "tools/lint_dockerfile.py", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "ok: Dockerfile"


GOOD_TAIL = 'USER app\nHEALTHCHECK CMD ["true"]\nCMD ["python"]\n'


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM python\n" + GOOD_TAIL, "has no tag"),
        ("FROM python:latest\n" + GOOD_TAIL, "uses 'latest'"),
        ("FROM python:slim\n" + GOOD_TAIL, "tag without a version"),
        ('FROM python:3.11-slim\nHEALTHCHECK CMD ["true"]\n', "no USER"),
        ('FROM python:3.11-slim\nUSER root\nHEALTHCHECK CMD ["true"]\n', "USER root: run as a non-root user"),
        ('FROM python:3.11-slim\nUSER 0:0\nHEALTHCHECK CMD ["true"]\n', "run as a non-root user"),
        ("FROM python:3.11-slim\nUSER app\n", "no HEALTHCHECK"),
        ("FROM python:3.11-slim\nUSER app\nHEALTHCHECK NONE\n", "HEALTHCHECK NONE"),
        ('FROM python:3.11-slim AS b\nUSER app\nHEALTHCHECK CMD ["true"]\nFROM b\n', "no USER"),
        ("FROM python:3.11-slim\nADD https://example.org/x.tgz /x\n" + GOOD_TAIL, "ADD of a URL"),
        ("FROM python:3.11-slim\nADD --chown=1:1 \\\n    http://example.org/x /x\n" + GOOD_TAIL, "ADD of a URL"),
        ("FROM python:3.11-slim\nADD app.tar /app\n" + GOOD_TAIL, "use COPY"),
        ("FROM python:3.11-slim\nCOPY --from=build /a /a\n" + GOOD_TAIL, "no earlier stage"),
        ('FROM python:3.11-slim\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD python -m server\n', "shell form"),
        ("FROM python:3.11-slim\nWORKDIR app\n" + GOOD_TAIL, "absolute path"),
        ("FROM python:3.11-slim\nRUN apt-get update && \\\n    apt-get install -y curl\n" + GOOD_TAIL, "recommends"),
        ("FROM python:3.11-slim\nRUN curl -fsSL https://x.sh | sh\n" + GOOD_TAIL, "piped into a shell"),
    ],
)
def test_the_linter_catches_each_rule(dockerfile, problem):
    found = lint(dockerfile)
    assert any(problem in text for _, text in found), found


def test_the_linter_accepts_a_good_multi_stage_file_and_reads_continuations():
    text = (
        "# escape=`\n"
        "FROM python:3.11-slim-bookworm@sha256:" + "0" * 64 + " AS build\n"
        "RUN pip install `\n"
        "    # a comment inside a continued line\n"
        "    x\n"
        "FROM python:3.11-slim-bookworm\n"
        "COPY --from=build /opt /opt\n"
        "USER app:app\n"
        'HEALTHCHECK --interval=5s CMD ["python", "-c", "print(1)"]\n'
        'ENTRYPOINT ["python", "-m", "server"]\n'
    )
    assert lint(text) == []
    run = [i for i in parse(text) if i.keyword == "RUN"][0]
    assert run.line == 3 and run.args == "pip install x"


def _image_tree(dest: Path) -> tuple[Path, dict[str, str], list[str]]:
    """The image's files (what the Dockerfile COPYs from the build context, into its WORKDIR), its ENV and
    its HEALTHCHECK command."""
    workdir, env, health = Path("/"), {}, []
    for ins in parse(DOCKERFILE.read_text()):
        if ins.keyword == "WORKDIR":
            workdir = Path(ins.args)
        elif ins.keyword == "ENV":
            for pair in ins.args.split():
                key, _, value = pair.partition("=")
                env[key] = value
        elif ins.keyword == "COPY" and not ins.args.startswith("--from"):
            *sources, target = ins.args.split()
            for source in sources:
                into = dest / (workdir / target).relative_to("/")
                if target.endswith("/") or len(sources) > 1:
                    into = into / Path(source).name
                src = ROOT / source
                if src.is_dir():
                    shutil.copytree(src, into, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, into)
        elif ins.keyword == "HEALTHCHECK":
            health = json.loads(ins.args[ins.args.index("CMD") + 3 :])
    return dest / workdir.relative_to("/"), env, health


async def test_the_files_the_image_copies_run_the_server_and_its_health_check(tmp_path):
    app_dir, image_env, health = _image_tree(tmp_path / "image")
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    env = {
        **os.environ,
        **{k: v for k, v in image_env.items() if k.startswith("PEERSPACE_") or k.startswith("PYTHON")},
        "PEERSPACE_HOST": "127.0.0.1",
        "PEERSPACE_PORT": str(port),
        "PEERSPACE_DATA_DIR": str(data),
        "PEERSPACE_MAX_PER_ADDRESS": "10000",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import server, wire; print(server.__file__, wire.__file__)"],
        cwd=app_dir, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert all(p.startswith(str(app_dir)) for p in where.stdout.split()), where.stdout  # the copy, not the checkout
    added = subprocess.run(
        [sys.executable, "-m", "server", "user", "add", "Ana", "--password", PASSWORD],
        cwd=app_dir, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    ready = data / "ready"
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--ready-file", str(ready)],
        cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert proc.poll() is None and time.time() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.05)
        healthy = subprocess.run(health, env=env, capture_output=True, text=True, timeout=30)
        assert healthy.returncode == 0, healthy.stderr
        ana = Bot(f"http://127.0.0.1:{port}", reconnect=False)
        await ana.login("Ana", PASSWORD)
        await ana.connect()
        joined = await ana.join("cafe")  # the shipped rooms and scenarios are in the image
        assert joined["room"]["id"] == "cafe"
        await ana.close()
    finally:
        proc.terminate()
        assert proc.wait(15) == 0  # SIGTERM (the STOPSIGNAL) is a clean stop
        log.close()


def test_the_build_context_leaves_out_data_secrets_and_the_venv():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", "secret", "*.db"} <= ignored


def test_compose_runs_the_server_with_redis_and_postgresql_and_keeps_secrets_out():
    text = (ROOT / "deploy" / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert set(services) == {"peerspace", "redis", "postgres"}
    server = services["peerspace"]
    assert (
        server["build"]["dockerfile"] == "Dockerfile"
        and (ROOT / "deploy" / server["build"]["context"]).resolve() == ROOT
    )
    assert server["environment"]["PEERSPACE_REDIS_URL"].startswith("redis://redis:")
    assert "@postgres:5432/" in server["environment"]["PEERSPACE_DATABASE_URL"]
    assert {name: dep["condition"] for name, dep in server["depends_on"].items()} == {
        "redis": "service_healthy",
        "postgres": "service_healthy",
    }
    for name in ("redis", "postgres"):
        image = services[name]["image"]
        assert ":" in image and not image.endswith(":latest") and any(c.isdigit() for c in image.split(":")[1])
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    # secrets come from the environment or the env file, never from this file
    assert "${POSTGRES_PASSWORD:?" in text
    assert "PEERSPACE_SECRET" not in text
    assert (ROOT / "deploy" / server["env_file"]).with_suffix(".env.example").exists()
    assert all(port.startswith("127.0.0.1:") for port in server["ports"])
