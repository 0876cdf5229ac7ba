"""Server settings: defaults, overridable by environment (PEERSPACE_*) or CLI flags."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("peerspace.config")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_SCENARIOS = ROOT / "scenarios"  # the scenarios, safety/, questionnaires/ and matching/ files of the project


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8642
    data_dir: str = "var"
    tls_cert: str = ""  # PEM certificate chain: serve https/wss (with tls_key); empty: plain http (docs/deploy.md)
    tls_key: str = ""  # PEM private key of tls_cert
    database: str = ""  # default: <data_dir>/peerspace.db
    database_url: str = ""  # postgresql://user:pass@host/db: PostgreSQL (more than one machine) instead of `database`
    secret: str = ""  # token signing key; default: generated once into <data_dir>/secret
    token_ttl: float = 12 * 3600.0
    login_free_per_name: int = 5  # failed log-ins for one account name before backoff starts
    login_free_per_address: int = 20  # ... and from one client address (a clinic may share one)
    login_backoff_base: float = 1.0  # seconds of the first wait; doubles with each further failure
    login_backoff_max: float = 300.0  # the longest wait: a throttle, never a permanent lockout
    tick_hz: float = 30.0
    tick_phases: int = 3  # rooms step in at least this many turns spread over each tick period
    tick_rooms_per_turn: int = 10  # more rooms than tick_phases x this: more turns (up to tick_phases_max)
    tick_phases_max: int = 10
    event_loop: str = "auto"  # auto: uvloop when installed (the `fast` extra), else asyncio; or asyncio, uvloop
    gc_settle_s: float = 0.5  # freeze long-lived objects this often, so full collections stay short (0: never)
    gc_report: str = ""  # write garbage-collection pause figures (JSON) to this file when the server stops
    resume_grace: float = 30.0  # seconds a dropped avatar waits for its person
    max_payload: int = 16 * 1024  # bytes in one Socket.IO message
    rate_per_s: float = 20.0  # sustained intents per person (one bucket shared by all their sockets)
    rate_burst: float = 40.0
    flood_limit: int = 500  # refused messages within flood_window that get a socket cut off
    flood_window: float = 5.0
    flood_cooldown: float = 10.0  # seconds a person cut off for flooding waits before connecting again
    refusal_log_every: float = 10.0  # refusals are logged as one line per socket per this many seconds
    max_sockets_per_user: int = 4  # a person's next connection closes their oldest one
    max_per_address: int = 32  # TCP connections, and engine.io sessions, one client address may hold
    # behind a reverse proxy: its addresses or networks, comma-separated; from these peers only, the client's
    # address is read from proxy_header (X-Forwarded-For or Forwarded) for the per-address limits (server/proxies.py)
    trusted_proxies: str = ""
    proxy_header: str = "X-Forwarded-For"
    auth_timeout: float = 5.0  # seconds an engine.io session may stay open without a Socket.IO connect
    header_timeout: float = 10.0  # seconds to send a request's headers; also the HTTP keep-alive idle time
    walk_speed: float = 1.6  # m/s
    turn_speed: float = 120.0  # deg/s
    room_half_extent: float = 12.0  # rooms are squares of +- this many metres
    personal_space: float = 0.6  # metres between avatars' centres
    scenarios_dir: str = "scenarios"  # a service's own folder, layered over the shipped one (scenario_folders)
    scenarios_mode: str = "add"  # add: the shipped scenarios and scenarios_dir's; replace: scenarios_dir's only
    failover_delay: float = 1.0  # seconds before a dropped teleoperator's cast avatar is taken over
    pace_scale: float = 1.0  # times the scenario's reading pace (the autonomous cast's wait before a line); 0: none
    cue_seconds: float = 0.0  # seconds a person or agent has to say a cued line; 0: the scenario's (default 30)
    redis_url: str = ""  # set to scale out across processes
    node_id: str = ""  # this process's name among nodes; default: host:port:pid
    owner_lease: float = 3.0  # seconds a room's owner record lives without a heartbeat
    interest_min: int = 32  # interest management in rooms with at least this many avatars (0: off)
    interest_cell: float = 4.0  # metres per interest cell; the 3x3 cells around you are "near"
    interest_far_every: int = 4  # far avatars are sent every Nth tick
    # Escalation of alerts nobody acknowledges (server/safety/escalation.py; docs/safety.md, Escalation).
    # Off until a channel is set: a webhook URL and/or an SMTP host with recipients.
    public_url: str = ""  # where staff open the dashboard (links in escalations); default http://host:port
    escalation_after: float = 300.0  # seconds an alert may stay unacknowledged before the first escalation
    escalation_every: float = 600.0  # seconds between further escalations while it stays unacknowledged
    escalation_kinds: str = "crisis,help_request"  # alert kinds that escalate, comma-separated
    escalation_attempts: int = 4  # tries per channel and round (a failed try waits, then tries again)
    escalation_retry_backoff: float = 2.0  # seconds before the second try; doubles for each further one
    escalation_timeout: float = 10.0  # seconds for one webhook POST, and for each step of an SMTP session
    escalation_webhook_url: str = ""  # JSON POST here (a team chat's or pager's incoming webhook)
    escalation_webhook_token: str = ""  # sent as `Authorization: Bearer ...` when set
    escalation_smtp_host: str = ""
    escalation_smtp_port: int = 587
    escalation_smtp_security: str = "starttls"  # starttls | ssl | none (none: a local relay only)
    escalation_smtp_cafile: str = ""  # trust this CA (PEM) for the SMTP server too, e.g. a service's own CA
    escalation_smtp_user: str = ""  # log in when set
    escalation_smtp_password: str = ""
    escalation_email_from: str = ""
    escalation_email_to: str = ""  # recipients, comma-separated
    log_level: str = "INFO"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        cfg = cls()
        for f in fields(cls):
            env = os.environ.get("PEERSPACE_" + f.name.upper())
            if env is not None and f.name != "extra":
                setattr(cfg, f.name, type(getattr(cfg, f.name))(env))
        for k, v in overrides.items():
            if v is not None:
                setattr(cfg, k, v)
        if not cfg.database:
            cfg.database = os.path.join(cfg.data_dir, "peerspace.db")
        return cfg


# --- scenario folders: the shipped one, and a service's own layered over it ----------------------------------------


def own_scenarios_dir(cfg: Config) -> Path:
    """cfg.scenarios_dir as a folder; a relative name that is not here is looked up in the project."""
    base = Path(cfg.scenarios_dir)
    if not base.is_absolute() and not base.exists():
        base = ROOT / base
    return base


def scenario_folders(cfg: Config) -> list[Path]:
    """Where scenario files are read, in order: a later folder's scenario replaces an earlier one's with its id.

    The shipped folder first, then the service's own (scenarios_mode 'add', the default); only the service's own
    with scenarios_mode 'replace'. With the default scenarios_dir the two are the same folder, read once."""
    own = own_scenarios_dir(cfg)
    if own.resolve() == SHIPPED_SCENARIOS.resolve():
        return [SHIPPED_SCENARIOS]
    if cfg.scenarios_mode == "replace":
        return [own]
    if cfg.scenarios_mode != "add":
        log.warning("scenarios_mode %r is not 'add' or 'replace': the shipped scenarios are added", cfg.scenarios_mode)
    return [SHIPPED_SCENARIOS, own]


def scenario_data(cfg: Config, relative: str) -> Path:
    """A data file or folder beside the scenarios (safety/care.yaml, questionnaires, ...): the service's own where it
    has one, else the shipped one, whatever scenarios_mode says (a service never runs without its safety files)."""
    own = own_scenarios_dir(cfg) / relative
    shipped = SHIPPED_SCENARIOS / relative
    if own.exists() or own.resolve() == shipped.resolve():
        return own
    log.info("%s: none in %s, the shipped %s is used", relative, own_scenarios_dir(cfg), shipped)
    return shipped


# --- courses: course files and the scenarios that open a course session, beside each scenario folder -------------
COURSES = "courses"  # <scenario folder>/courses/*.yaml: course files (server/courses/)
OPENINGS = "courses/openings"  # <scenario folder>/courses/openings/*.yaml: scenarios that open a course session


def course_folders(cfg: Config) -> list[Path]:
    """Where course files are read: `courses/` in each scenario folder, layered the same way."""
    return [folder / COURSES for folder in scenario_folders(cfg)]


def playable_folders(cfg: Config) -> list[Path]:
    """Where the scenarios a room can run are read: each scenario folder, then its course openings (the homework
    review that opens a course session: a scenario, but not a whole skills session like the others)."""
    return [f for folder in scenario_folders(cfg) for f in (folder, folder / OPENINGS)]
