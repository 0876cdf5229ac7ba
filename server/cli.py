"""The `peerspace` command: serve, manage accounts, export and delete a person's records."""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import logging
import sqlite3
import sys
from typing import TYPE_CHECKING

from wire import events
from wire.errors import WireError

from .config import Config

if TYPE_CHECKING:
    from .storage import Row, SQLiteStorage, Storage

# Feature modules that add their own subcommands with `add_subcommands(subparsers)`.
SUBCOMMAND_MODULES = ("server.scenarios.cli", "server.courses.cli")
FOREVER = 253402300799.0  # 9999-12-31: a ban without an end, until `peerspace unban`


def _config(args: argparse.Namespace) -> Config:
    db: str | None = args.db
    url = None
    if db is not None:  # --db names the database, over PEERSPACE_DATABASE_URL: a file, or a postgresql:// URL
        db, url = (None, db) if db.startswith(("postgresql://", "postgres://")) else (db, "")
    return Config.from_env(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=args.data_dir,
        database=db,
        database_url=url,
        redis_url=getattr(args, "redis_url", None),
        node_id=getattr(args, "node_id", None),
        tls_cert=getattr(args, "tls_cert", None),
        tls_key=getattr(args, "tls_key", None),
    )


def _database(args: argparse.Namespace) -> str:
    """The database this command works on: --db, else PEERSPACE_DATABASE_URL, else the SQLite file."""
    cfg = _config(args)
    return cfg.database_url or cfg.database


def _store(args: argparse.Namespace) -> SQLiteStorage:
    from .storage import open_storage

    return open_storage(_database(args))


def _find(store: Storage, name: str) -> Row:
    user = store.find_user(name)
    if user is None:
        raise SystemExit(f"peerspace: no user named '{name}'. See `peerspace user list`.")
    return user


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import TLSSettingsError, serve
    from .proxies import ProxySettingsError
    from .records.questionnaires import QuestionnaireError
    from .safety.care import CareFileError
    from .safety.crisis import PhraseFileError
    from .safety.helpline import HelplineFileError

    cfg = _config(args)
    logging.basicConfig(level=cfg.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(cfg, ready_file=args.ready_file)
    except (PhraseFileError, CareFileError, HelplineFileError, QuestionnaireError) as exc:
        # a data file the service wrote is wrong: say which and how, not a traceback
        print(f"peerspace: not started: {exc}", file=sys.stderr)
        print("(see docs/scenarios.md, 'Scenario folders', and docs/safety.md)", file=sys.stderr)
        return 2
    except TLSSettingsError as exc:
        print(f"peerspace: not started: {exc} (see docs/deploy.md, 'TLS')", file=sys.stderr)
        return 2
    except ProxySettingsError as exc:
        print(f"peerspace: not started: {exc} (see docs/deploy.md, 'Behind a reverse proxy')", file=sys.stderr)
        return 2
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from .auth import Accounts

    password = args.password or getpass.getpass(f"Password for {args.name}: ")
    try:
        user = Accounts(_store(args)).add(args.name, password, args.role)
    except WireError as e:
        print(f"peerspace: {e.message}", file=sys.stderr)
        return 2
    print(f"added {user['role']} '{user['name']}' (id {user['id']})")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from .auth import Accounts

    store = _store(args)
    user = _find(store, args.name)
    password = args.password or getpass.getpass(f"New password for {user['name']}: ")
    try:
        Accounts(store).set_password(user, password)
    except WireError as e:
        print(f"peerspace: {e.message}", file=sys.stderr)
        return 2
    print(f"set a new password for '{user['name']}'; every session of theirs has ended")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    for u in _store(args).list_users():
        print(f"{u['id']:>5}  {u['role']:<16} {u['name']}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    data = store.export_user(_find(store, args.name)["id"])  # everything: lines, sessions, safety, replays
    if data is None:  # deleted between the two reads
        raise SystemExit(f"peerspace: no user named '{args.name}'. See `peerspace user list`.")
    text = json.dumps(data, indent=2)
    if args.output and args.output != "-":
        with open(args.output, "w") as f:
            f.write(text)
        print(f"wrote {len(data['events'])} events and {len(data['runs'])} sessions to {args.output}")
    else:
        print(text)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store = _store(args)
    user = _find(store, args.name)
    if not args.yes:
        print(
            f"This deletes '{user['name']}' and every record about them. Re-run with --yes to confirm.", file=sys.stderr
        )
        return 2
    store.delete_user(user["id"])
    print(f"deleted '{user['name']}' and their records")
    return 0


def cmd_ban(args: argparse.Namespace) -> int:
    import time

    store = _store(args)
    user = _find(store, args.name)
    until = time.time() + args.minutes * 60 if args.minutes else FOREVER
    store.set_banned_until(user["id"], until)  # also revokes their sessions: a running server cuts them off
    store.log_action(None, None, user["id"], "ban", until)
    print(
        f"'{user['name']}' is banned "
        + (f"for {args.minutes:g} minutes" if args.minutes else "until unbanned")
        + "; their open connections are closed within a second"
    )
    return 0


def cmd_unban(args: argparse.Namespace) -> int:
    store = _store(args)
    user = _find(store, args.name)
    store.set_banned_until(user["id"], None)
    store.log_action(None, None, user["id"], "unban")
    print(f"'{user['name']}' can log in again")
    return 0


def _group(store: Storage, name: str) -> Row:
    group = store.find_group(name)
    if group is None:
        raise SystemExit(f"peerspace: no group named '{name}'. See `peerspace group list`.")
    return group


def _with_role(store: Storage, name: str, roles: tuple[str, ...], what: str) -> Row:
    user = _find(store, name)
    if user["role"] not in roles:
        raise SystemExit(f"peerspace: '{user['name']}' is a {user['role'].replace('_', ' ')}, not {what}.")
    return user


STAFF_ROLES = (events.PEER_SPECIALIST, events.AGENT)  # facilitators and admins see everyone already


def cmd_group_add(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.find_group(args.name):
        print(f"peerspace: there is already a group named '{args.name}'", file=sys.stderr)
        return 2
    group = store.add_group(args.name)
    print(f"added group '{group['name']}' (id {group['id']})")
    return 0


def cmd_group_list(args: argparse.Namespace) -> int:
    for g in _store(args).list_groups():
        print(f"{g['id']:>5}  {g['name']:<24} {g['members']} members, {g['staff']} staff")
    return 0


def cmd_group_member(args: argparse.Namespace) -> int:
    store = _store(args)
    group = _group(store, args.group)
    person = _with_role(store, args.person, (events.PARTICIPANT,), "a participant")
    if args.remove:
        store.remove_group_member(group["id"], person["id"])
        print(f"'{person['name']}' is no longer in '{group['name']}'")
    else:
        store.add_group_member(group["id"], person["id"])
        print(f"'{person['name']}' is in '{group['name']}'")
    return 0


def cmd_group_assign(args: argparse.Namespace) -> int:
    store = _store(args)
    group = _group(store, args.group)
    staff = _with_role(store, args.staff, STAFF_ROLES, "a peer specialist or an agent")
    store.assign_group_staff(group["id"], staff["id"])
    print(f"'{staff['name']}' looks after '{group['name']}'")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    store = _store(args)
    staff = _with_role(store, args.staff, (events.PEER_SPECIALIST,), "a peer specialist")
    person = _with_role(store, args.person, (events.PARTICIPANT,), "a participant")
    if args.remove:
        store.unassign_participant(staff["id"], person["id"])
        print(f"'{staff['name']}' no longer looks after '{person['name']}'")
    else:
        store.assign_participant(staff["id"], person["id"])
        print(f"'{staff['name']}' looks after '{person['name']}'")
    return 0


def cmd_room_add(args: argparse.Namespace) -> int:
    store = _store(args)
    group = _group(store, args.group) if args.group else None
    if not 1 <= args.capacity <= 200:
        raise SystemExit("peerspace: a room holds 1 to 200 people")
    store.save_room(args.id, args.name or args.id, args.scene, args.capacity, None)
    store.set_room_access(args.id, "members" if group else "open", group["id"] if group else None)
    who = f"for the group '{group['name']}' and its staff" if group else "open to everyone"
    print(f"room '{args.id}' is {who}")
    return 0


def cmd_room_list(args: argparse.Namespace) -> int:
    store = _store(args)
    groups = {g["id"]: g["name"] for g in store.list_groups()}
    for r in store.list_rooms():
        access = f"group {groups.get(r['group_id'], '?')}" if r["access"] == "members" else "open"
        print(f"{r['id']:<24} {r['name']:<24} {r['scene']:<8} {r['capacity']:>4}  {access}")
    return 0


def cmd_escalation_test(args: argparse.Namespace) -> int:
    """One test message on every escalation channel the settings configure, so a service learns that its
    webhook or SMTP settings work before a crisis depends on them (docs/safety.md)."""
    import asyncio

    from .safety.escalation import send_test

    try:
        results = asyncio.run(send_test(_config(args)))
    except ValueError as e:  # incomplete settings, e.g. an SMTP host without recipients
        raise SystemExit(f"peerspace: {e}") from None
    if not results:
        raise SystemExit(
            "peerspace: no escalation channel is configured. "
            "Set PEERSPACE_ESCALATION_WEBHOOK_URL or PEERSPACE_ESCALATION_SMTP_HOST (see docs/safety.md)."
        )
    for name, error in results.items():
        print(f"{name}: sent" if error is None else f"{name}: failed ({error})")
    return 0 if all(error is None for error in results.values()) else 1


def cmd_db_migrate(args: argparse.Namespace) -> int:
    store = _store(args)  # opening a store applies the migrations it lacks, in order
    try:
        before, now = store.migrated_from, store.schema_version
    finally:
        store.close()
    print(f"database at schema version {now}" + (f" (was {before})" if before != now else " (up to date)"))
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    from .storage import open_storage
    from .storage.copy import CopyError, copy_database

    stores = []
    try:
        for url in (args.source, args.target):
            stores.append(open_storage(url))
        source, target = stores
        counts = copy_database(source, target, lambda table, n: print(f"{table}: {n}"))
    except CopyError as e:
        raise SystemExit(f"peerspace: {e}") from None
    except sqlite3.Error as e:  # a server that refuses the connection, a file that is not a database
        raise SystemExit(f"peerspace: cannot copy: {e}") from None
    finally:
        for store in stores:
            store.close()
    print(f"copied {sum(counts.values())} rows in {len(counts)} tables")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the live database, safe while the server runs (server/storage/backup.py)."""
    from .storage.backup import BackupError, backup_sqlite

    try:
        done = backup_sqlite(_database(args), args.path, overwrite=args.overwrite)
    except BackupError as e:
        print(f"peerspace: no backup made: {e}", file=sys.stderr)
        return 2
    print(
        f"backed up to {done.path}: {done.size} bytes, schema version {done.schema_version}, "
        f"{done.users} account{'' if done.users == 1 else 's'}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerspace", description="peerspace server and tools")
    parser.add_argument("--data-dir", default=None, help="where the database and secret live (default: var/)")
    parser.add_argument(
        "--db",
        default=None,
        help="database file, or a postgresql:// URL (default: PEERSPACE_DATABASE_URL, else <data-dir>/peerspace.db)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--ready-file", default=None, help="write the bound port here once listening")
    p.add_argument("--redis-url", default=None, help="scale out: nodes sharing this Redis share rooms")
    p.add_argument("--node-id", default=None, help="this node's name among nodes (default: host-pid-random)")
    p.add_argument("--tls-cert", default=None, help="serve https/wss with this PEM certificate chain (and --tls-key)")
    p.add_argument("--tls-key", default=None, help="the PEM private key of --tls-cert")
    p.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", help="add an account (use a pseudonym as the name)")
    p.add_argument("name")
    p.add_argument("--role", choices=events.ROLES, default=events.PARTICIPANT)
    p.add_argument("--password", help="prompted for if omitted")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("passwd", help="set a new password (ends every session of that account)")
    p.add_argument("name")
    p.add_argument("--password", help="prompted for if omitted")
    p.set_defaults(func=cmd_user_passwd)
    p = user.add_parser("list", help="list accounts")
    p.set_defaults(func=cmd_user_list)

    p = sub.add_parser("export", help="export every record a person has, as JSON")
    p.add_argument("name")
    p.add_argument("-o", "--output", default="-")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("ban", help="pause an account: its sessions end now and it cannot log in")
    p.add_argument("name")
    p.add_argument("--minutes", type=float, default=None, help="how long (default: until `peerspace unban`)")
    p.set_defaults(func=cmd_ban)

    p = sub.add_parser("unban", help="lift a ban (set by staff with kick, or by `peerspace ban`)")
    p.add_argument("name")
    p.set_defaults(func=cmd_unban)

    p = sub.add_parser("delete", help="delete a person's account and every record about them")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_delete)

    group = sub.add_parser("group", help="groups: who is in them and which staff look after them").add_subparsers(
        dest="group_command", required=True
    )
    p = group.add_parser("add", help="add a group")
    p.add_argument("name")
    p.set_defaults(func=cmd_group_add)
    p = group.add_parser("list", help="list groups")
    p.set_defaults(func=cmd_group_list)
    p = group.add_parser("member", help="put a participant in a group (its rooms, its staff)")
    p.add_argument("group")
    p.add_argument("person")
    p.add_argument("--remove", action="store_true", help="take them out instead")
    p.set_defaults(func=cmd_group_member)
    p = group.add_parser("assign", help="a peer specialist (or agent) looks after a group")
    p.add_argument("group")
    p.add_argument("staff")
    p.set_defaults(func=cmd_group_assign)

    p = sub.add_parser("assign", help="a peer specialist looks after one participant")
    p.add_argument("staff")
    p.add_argument("person")
    p.add_argument("--remove", action="store_true", help="end the assignment instead")
    p.set_defaults(func=cmd_assign)

    room = sub.add_parser("room", help="rooms and who may enter them").add_subparsers(
        dest="room_command", required=True
    )
    p = room.add_parser("add", help="add (or change) a room; with --group only that group and its staff enter")
    p.add_argument("id")
    p.add_argument("--name", default=None, help="shown to people (default: the id)")
    p.add_argument("--scene", choices=events.SCENES, default="cafe")
    p.add_argument("--capacity", type=int, default=12)
    p.add_argument("--group", default=None, help="a members room for this group")
    p.set_defaults(func=cmd_room_add)
    p = room.add_parser("list", help="list rooms and their access")
    p.set_defaults(func=cmd_room_list)

    escalation = sub.add_parser("escalation", help="escalation of alerts nobody acknowledges").add_subparsers(
        dest="escalation_command", required=True
    )
    p = escalation.add_parser("test", help="send one test message on every configured channel; exit 1 if one fails")
    p.set_defaults(func=cmd_escalation_test)

    db = sub.add_parser("db", help="the database: migrate, copy to PostgreSQL, backups").add_subparsers(
        dest="db_command", required=True
    )
    p = db.add_parser("migrate", help="bring the database (--db or PEERSPACE_DATABASE_URL) to this version's schema")
    p.set_defaults(func=cmd_db_migrate)
    p = db.add_parser("copy", help="copy every record into an empty database (stop the servers first)")
    p.add_argument("--from", dest="source", required=True, help="sqlite:PATH, a file path, or postgresql://...")
    p.add_argument("--to", dest="target", required=True, help="postgresql://... (or sqlite:PATH)")
    p.set_defaults(func=cmd_db_copy)
    p = db.add_parser("backup", help="copy the live SQLite database to PATH (safe while the server runs)")
    p.add_argument("path", help="the backup file to write")
    p.add_argument("--overwrite", action="store_true", help="replace PATH if it exists")
    p.set_defaults(func=cmd_db_backup)

    for mod in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if not mod.startswith(e.name or "?"):
                raise
            continue
        module.add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rc: int = args.func(args) or 0
    return rc


if __name__ == "__main__":
    sys.exit(main())
