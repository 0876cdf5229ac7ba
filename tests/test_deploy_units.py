"""The systemd units in deploy/systemd/: systemd's own checker accepts them (no unknown keys, no values it
would ignore), the server unit runs the server as an unprivileged user from the env file, and the backup
unit's command, as systemd would run it, writes a backup of a live database."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from conftest import PASSWORD, ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALLED_PYTHON = "/opt/peerspace/.venv/bin/python"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read_string((UNITS / name).read_text())
    return parser


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    # verify checks that ExecStart's program exists: point it at this Python instead of /opt/peerspace's
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED_PYTHON, sys.executable))
    names = sorted(p.name for p in UNITS.iterdir())
    assert names == ["peerspace-backup.service", "peerspace-backup.timer", "peerspace.service"]
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{n}" for n in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stderr == "" and out.stdout == "", out.stdout + out.stderr


def test_the_server_unit_runs_unprivileged_from_the_env_file_and_stops_cleanly():
    service = unit("peerspace.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED_PYTHON} -m server serve"
    assert service["User"] == "peerspace" and service["Group"] == "peerspace"
    assert service["EnvironmentFile"] == "/etc/peerspace/peerspace.env"
    assert (
        service["StateDirectory"] == "peerspace" and "PEERSPACE_DATA_DIR=/var/lib/peerspace" in service["Environment"]
    )
    assert service["KillSignal"] == "SIGTERM" and service["RestartPreventExitStatus"] == "2"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    after = unit("peerspace.service")["Unit"]["After"].split()
    assert {"redis-server.service", "postgresql.service"} <= set(after)
    # the env file example names every setting the guide says a service must change
    example = (ROOT / "deploy" / "peerspace.env.example").read_text()
    for setting in ("PEERSPACE_SECRET=", "PEERSPACE_PUBLIC_URL=", "PEERSPACE_ESCALATION_WEBHOOK_URL=",
                    "PEERSPACE_ESCALATION_SMTP_HOST=", "PEERSPACE_SCENARIOS_DIR="):  # fmt: skip
        assert setting in example


def test_the_backup_units_command_backs_up_the_database(tmp_path, server_process):
    srv = server_process()
    assert srv.cli("user", "add", "Dana", "--password", PASSWORD).returncode == 0
    service = unit("peerspace-backup.service")["Service"]
    backups = tmp_path / "backups"
    backups.mkdir()
    # what systemd runs: %% is a literal %; the paths of an installed service become this test's
    command = (
        service["ExecStart"]
        .replace("%%", "%")
        .replace(INSTALLED_PYTHON, sys.executable)
        .replace("/var/backups/peerspace", str(backups))
    )
    assert command.startswith("/bin/sh -c '") and command.endswith("'")
    env = {**srv.env, "PEERSPACE_DATA_DIR": str(srv.data_dir)}
    out = subprocess.run(
        ["/bin/sh", "-c", command[len("/bin/sh -c '") : -1]], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    made = list(backups.glob("peerspace-*.db"))
    assert len(made) == 1 and "1 account" in out.stdout
    assert Path(made[0]).stat().st_size > 0
    old = backups / "peerspace-20200101T031500Z.db"
    old.write_bytes(b"an old backup")
    os.utime(old, (time.time() - 20 * 86400,) * 2)
    prune = service["ExecStartPost"].replace("/var/backups/peerspace", str(backups))
    assert subprocess.run(shlex.split(prune), capture_output=True).returncode == 0
    assert list(backups.glob("peerspace-*.db")) == made  # today's copy is kept, the three-week-old one is gone
