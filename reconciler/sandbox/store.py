"""The sandbox's data: one SQLite database (a file, or `:memory:`) and no HTTP.

One connection shared by all server threads, guarded by a re-entrant lock; each request runs
inside `transaction()`, so its changes commit together or not at all. Deletions are soft
(`deleted_ts`) because Toggl's `since=` listings report deleted objects.

The domain rules live in `clients.py`, `projects.py`, `tags.py` and `time_entries.py`; this
module holds the schema, identity sequences, the user/organization, workspaces, and the
setup/inspection helpers that tests and benchmarks call directly.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping

from reconciler.sandbox import clients as client_rules
from reconciler.sandbox import groups as group_rules
from reconciler.sandbox import project_members as member_rules
from reconciler.sandbox import projects as project_rules
from reconciler.sandbox import tags as tag_rules
from reconciler.sandbox import tasks as task_rules
from reconciler.sandbox import time_entries as entry_rules
from reconciler.sandbox import users as user_rules
from reconciler.sandbox.config import TIERS, SandboxConfig, Tier
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.identity import DEMO_WORKSPACE_NAME
from reconciler.sandbox.listing_cache import DataVersion, ListingCache
from reconciler.sandbox.rules import name_key
from reconciler.sandbox.timefmt import date_style, seconds_style


# First ids, in Toggl's ranges, and distinct per kind so that a mixed-up id is a 404.
_ID_BASES: Mapping[str, int] = {
    "workspaces": 4_200_000,
    "clients": 64_000_000,
    "projects": 201_000_000,
    "tags": 15_900_000,
    "time_entries": 3_400_000_000,
    "groups": 188_900,
    "users": 10_700_000,
    "tasks": 90_100_000,
    "project_users": 120_300_000,
    "project_groups": 6_400_000,
}

# Tables added after the first release: created on open when a kept database lacks them.
_LATER_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, name_key TEXT NOT NULL,
    workspace_ids TEXT NOT NULL, user_ids TEXT NOT NULL, at_ts REAL NOT NULL, deleted_ts REAL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
    fullname TEXT NOT NULL, at_ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, project_id INTEGER NOT NULL,
    name TEXT NOT NULL, name_key TEXT NOT NULL, active INTEGER NOT NULL,
    estimated_seconds INTEGER, user_id INTEGER, created_ts REAL NOT NULL, at_ts REAL NOT NULL,
    deleted_ts REAL);
CREATE INDEX IF NOT EXISTS tasks_by_project ON tasks (project_id, name_key);
CREATE INDEX IF NOT EXISTS tasks_by_workspace ON tasks (wid, name_key);
CREATE TABLE IF NOT EXISTS project_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, project_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL, manager INTEGER NOT NULL DEFAULT 0, rate REAL, labor_cost REAL,
    rate_ts REAL, labor_cost_ts REAL, at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX IF NOT EXISTS project_users_by_workspace ON project_users (wid, project_id);
CREATE TABLE IF NOT EXISTS project_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, project_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL, at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX IF NOT EXISTS project_groups_by_workspace ON project_groups (wid, project_id);
"""
# Columns added after the first release: (table, column, declaration).
_LATER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("time_entries", "task_id", "INTEGER"),
    ("workspaces", "settings", "TEXT"),
)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, tier TEXT NOT NULL,
    projects_private_by_default INTEGER NOT NULL DEFAULT 1, at_ts REAL NOT NULL);
CREATE TABLE clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, name TEXT NOT NULL,
    name_key TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0, notes TEXT,
    external_reference TEXT, at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX clients_by_name ON clients (wid, name_key);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, client_id INTEGER,
    name TEXT NOT NULL, name_key TEXT NOT NULL, active INTEGER NOT NULL,
    is_private INTEGER NOT NULL, color TEXT NOT NULL, billable INTEGER,
    estimated_hours REAL, rate REAL, currency TEXT, auto_estimates INTEGER, template INTEGER,
    fixed_fee REAL, recurring INTEGER NOT NULL DEFAULT 0, start_date TEXT NOT NULL,
    end_date TEXT, seeded_seconds INTEGER NOT NULL DEFAULT 0, created_ts REAL NOT NULL,
    at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX projects_by_name ON projects (wid, name_key);
CREATE INDEX projects_by_client ON projects (client_id);
CREATE INDEX projects_by_at ON projects (wid, at_ts);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, name TEXT NOT NULL,
    name_key TEXT NOT NULL, at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX tags_by_name ON tags (wid, name_key);
CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wid INTEGER NOT NULL, project_id INTEGER,
    description TEXT, billable INTEGER NOT NULL DEFAULT 0, start_ts REAL NOT NULL,
    stop_ts REAL, duration INTEGER NOT NULL, tag_ids TEXT, created_with TEXT,
    at_ts REAL NOT NULL, deleted_ts REAL);
CREATE INDEX time_entries_by_project ON time_entries (project_id);
CREATE INDEX time_entries_by_start ON time_entries (start_ts);
CREATE INDEX time_entries_by_at ON time_entries (at_ts);
"""


_OBJECT_TABLES = frozenset({"clients", "projects", "tags", "time_entries"})

class Store:
    """SQLite-backed Toggl data for one user and one organization, any number of workspaces."""

    def __init__(
        self, config: SandboxConfig | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            self.config.db, check_same_thread=False, isolation_level=None
        )
        self.db.row_factory = sqlite3.Row
        self._use_fast_commits()
        self._rollbacks = 0
        self._closed = False
        self.listings = ListingCache()
        self.created_now = not self._has_schema()
        if self.created_now:
            self._create_schema()
        self._add_later_tables()
        self.ensure_config_users()

    # ------------------------------------------------------------ plumbing

    def _use_fast_commits(self) -> None:
        """WAL with synchronous=NORMAL: a commit appends to the WAL file without waiting for
        an fsync (~17 ms per write on a disk before). A power cut may lose the last commits but
        never corrupts the file, and a process that exits, normally or killed, loses nothing:
        the next open replays the WAL. OFF would save little more and could corrupt the file
        on an OS crash; this is a test double, but its database outlives runs."""
        self.db.execute("PRAGMA journal_mode = WAL")  # `:memory:` answers "memory": fine
        self.db.execute("PRAGMA synchronous = NORMAL")

    def _has_schema(self) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        return row is not None

    def _create_schema(self) -> None:
        self.db.executescript(_SCHEMA)
        with self.transaction():
            self.db.executemany(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", _ID_BASES.items()
            )
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('created_ts', ?)", (str(self.clock()),)
            )

    def _add_later_tables(self) -> None:
        self.db.executescript(_LATER_SCHEMA)
        with self.transaction():
            for table, column, declaration in _LATER_COLUMNS:
                present = {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            self.db.execute("CREATE INDEX IF NOT EXISTS time_entries_by_task "
                            "ON time_entries (task_id)")
            for table in ("groups", "users", "tasks", "project_users", "project_groups"):
                known = self.db.execute(
                    "SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)
                ).fetchone()
                if known is None:
                    self.db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                    (table, _ID_BASES[table]))

    def ensure_config_users(self) -> None:
        """Adds the users SandboxConfig.users names (kept ones stay: a database outlives runs)."""
        if self.config.users:
            user_rules.ensure_users(self, self.config.users)

    # The user's settings that `PUT /me` changes, kept in `meta` as `user.<field>` (JSON).
    def user_settings(self) -> dict[str, Any]:
        rows = self.db.execute("SELECT key, value FROM meta WHERE key LIKE 'user.%'").fetchall()
        return {row["key"][5:]: json.loads(row["value"]) for row in rows}

    def set_user_settings(self, settings: Mapping[str, Any]) -> None:
        self.db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(f"user.{name}", json.dumps(value)) for name, value in settings.items()],
        )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block under the lock in one transaction (nested blocks join the outer one)."""
        with self.lock:
            if self.db.in_transaction:
                yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                self._rollbacks += 1
                raise
            self.db.execute("COMMIT")

    def rollback_to(self, savepoint: str) -> None:
        """`ROLLBACK TO` a savepoint, counted like a full rollback (see `data_version`)."""
        self.db.execute(f"ROLLBACK TO {savepoint}")
        self._rollbacks += 1

    def data_version(self) -> DataVersion:
        """Changes whenever the data may have: see `listing_cache.DataVersion`."""
        others = self.db.execute("PRAGMA data_version").fetchone()[0]
        return self.db.total_changes, self._rollbacks, int(others)

    def checkpoint(self) -> None:
        """Moves the WAL into the database file, so the file alone holds every commit."""
        with self.lock:
            if not self._closed:
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self.lock:
            self.listings.clear()
            self.db.close()
            self._closed = True

    def now(self) -> float:
        return self.clock()

    def name_clause(self) -> str:
        """SQL comparing a row's name with one `?` parameter, by the configured case rule."""
        return "name_key = ?" if self.config.case_insensitive_names else "name = ?"

    def name_param(self, name: str) -> str:
        return name_key(name) if self.config.case_insensitive_names else name

    def created_ts(self) -> float:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'created_ts'").fetchone()
        return float(row["value"])

    # ------------------------------------------------------------ workspaces

    def workspace_row(self, wid: int) -> sqlite3.Row:
        """The workspace, or 403 as Toggl answers for a workspace the user cannot see."""
        row = self.db.execute("SELECT * FROM workspaces WHERE id = ?", (wid,)).fetchone()
        if row is None:
            raise ApiError(403, "User does not have access to this resource")
        return row

    def live_row(self, table: str, wid: int, object_id: Any) -> sqlite3.Row | None:
        """A not-deleted client, project, tag or time entry of this workspace, or None."""
        if table not in _OBJECT_TABLES:  # a table name cannot be a query parameter
            raise ValueError(f"not an object table: {table}")
        return self.db.execute(
            f"SELECT * FROM {table} WHERE id = ? AND wid = ? AND deleted_ts IS NULL", (object_id, wid)
        ).fetchone()

    def rows_of_every_workspace(self, table: str, since: int | None) -> list[sqlite3.Row]:
        """The `/me/...` listings: a table's rows across workspaces; with `since`, those changed
        since then, deleted ones included (as Toggl's `since` filters do)."""
        if table not in _OBJECT_TABLES:  # a table name cannot be a query parameter
            raise ValueError(f"not an object table: {table}")
        if since is None:
            query, args = f"SELECT * FROM {table} WHERE deleted_ts IS NULL", ()
        else:
            query, args = f"SELECT * FROM {table} WHERE at_ts >= ?", (since,)
        return self.db.execute(query + " ORDER BY wid, name_key, id", args).fetchall()

    def workspace_rows(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM workspaces ORDER BY id").fetchall()

    def tier_of(self, wid: int) -> Tier:
        return self.workspace_row(wid)["tier"]

    def default_workspace_id(self) -> int | None:
        chosen = self.user_settings().get("default_workspace_id")
        if chosen is not None and self.db.execute(
            "SELECT 1 FROM workspaces WHERE id = ?", (chosen,)
        ).fetchone():
            return int(chosen)
        row = self.db.execute("SELECT MIN(id) AS id FROM workspaces").fetchone()
        return row["id"]

    def ensure_workspace(self, name: str, tier: Tier | None = None) -> int:
        """The id of the workspace called `name`, created empty if there is none."""
        chosen_tier = tier or self.config.tier
        if chosen_tier not in TIERS:
            raise ValueError(f"unknown tier {chosen_tier!r}")
        with self.transaction():
            row = self.db.execute("SELECT id FROM workspaces WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return int(row["id"])
            cursor = self.db.execute(
                "INSERT INTO workspaces (name, tier, at_ts) VALUES (?, ?, ?)",
                (name, chosen_tier, self.now()),
            )
            return int(cursor.lastrowid)

    def set_tier(self, wid: int, tier: Tier) -> None:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}")
        with self.transaction():
            self.db.execute(
                "UPDATE workspaces SET tier = ?, at_ts = ? WHERE id = ?", (tier, self.now(), wid)
            )

    @property
    def demo_workspace_id(self) -> int | None:
        with self.lock:
            row = self.db.execute(
                "SELECT id FROM workspaces WHERE name = ?", (DEMO_WORKSPACE_NAME,)
            ).fetchone()
        return None if row is None else int(row["id"])

    # ------------------------------------------------------------ setup helpers (tests)

    def add_client(
        self, wid: int, name: str, *, archived: bool = False, notes: str | None = None
    ) -> int:
        with self.transaction():
            created = client_rules.create_client(self, wid, {"name": name, "notes": notes})
            if archived:
                self.db.execute("UPDATE clients SET archived = 1 WHERE id = ?", (created["id"],))
            return int(created["id"])

    def add_project(
        self,
        wid: int,
        name: str,
        *,
        client_id: int | None = None,
        active: bool = True,
        color: str = "#0b83d9",
        actual_seconds: int = 0,
        **fields: Any,
    ) -> int:
        body = {"name": name, "client_id": client_id, "active": active, "color": color, **fields}
        with self.transaction():
            created = project_rules.create_project(self, wid, body)
            self.db.execute(
                "UPDATE projects SET seeded_seconds = ? WHERE id = ?",
                (int(actual_seconds), created["id"]),
            )
            return int(created["id"])

    def add_tag(self, wid: int, name: str) -> int:
        with self.transaction():
            return int(tag_rules.create_tag(self, wid, {"name": name})["id"])

    def add_time_entry(
        self,
        wid: int,
        project_id: int | None,
        seconds: int,
        *,
        description: str | None = None,
        start: float | None = None,
        tags: Iterable[str] = (),
    ) -> int:
        """A stopped entry of `seconds` (negative: a running one) that ended now by default."""
        began = start if start is not None else self.now() - max(seconds, 0)
        body: dict[str, Any] = {
            "created_with": "sandbox-setup", "workspace_id": wid, "project_id": project_id,
            "start": seconds_style(began), "duration": seconds, "description": description,
        }
        if tags:
            body["tags"] = list(tags)
        with self.transaction():
            return int(entry_rules.create_time_entry(self, wid, body)["id"])

    def add_users(self, emails: Iterable[str]) -> list[int]:
        """Workspace users by e-mail (every workspace has every user); their ids, in order."""
        return user_rules.ensure_users(self, list(emails))

    def add_task(self, wid: int, project_id: int, name: str, *, active: bool = True,
                 estimated_seconds: int | None = None, user_id: int | None = None) -> int:
        """A task, through the API's rules but without its plan and admin checks."""
        with self.transaction():
            task_rules.project_of_tasks(self, wid, project_id)
            task_rules.refuse_taken_task_name(self, project_id, name)
            now = self.now()
            cursor = self.db.execute(
                "INSERT INTO tasks (wid, project_id, name, name_key, active, estimated_seconds, "
                "user_id, created_ts, at_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (wid, project_id, name, name_key(name), int(active), estimated_seconds, user_id,
                 now, now),
            )
            return int(cursor.lastrowid)

    def add_task_time(self, wid: int, task_id: int, seconds: int) -> int:
        """A stopped time entry of `seconds` on a task (and so on the task's project)."""
        with self.transaction():
            task = task_rules.task_of_workspace(self, wid, task_id)
            entry = self.add_time_entry(wid, int(task["project_id"]), seconds)
            self.db.execute("UPDATE time_entries SET task_id = ? WHERE id = ?", (task_id, entry))
            return entry

    def add_project_user(self, wid: int, project_id: int, user_id: int, *,
                         manager: bool = False, rate: float | None = None) -> int:
        with self.transaction():
            now = self.now()
            cursor = self.db.execute(
                "INSERT INTO project_users (wid, project_id, user_id, manager, rate, rate_ts, "
                "at_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (wid, project_id, user_id, int(manager), rate, None if rate is None else now, now),
            )
            return int(cursor.lastrowid)

    def add_project_group(self, wid: int, project_id: int, group_id: int) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO project_groups (wid, project_id, group_id, at_ts) VALUES (?, ?, ?, ?)",
                (wid, project_id, group_id, self.now()),
            )
            return int(cursor.lastrowid)

    def add_group(self, name: str, workspace_ids: list[int],
                  user_ids: list[int] | None = None) -> int:
        """An organization group (default member: the sandbox user)."""
        return group_rules.add_group(self, name, workspace_ids, user_ids)

    def bulk_add_tasks(self, wid: int, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """Fast insert of many tasks: rows of project_id, name, active, estimated_seconds,
        user_id. Names must be unique per project (checked within the rows and the table)."""
        records = list(rows)
        with self.transaction():
            self.workspace_row(wid)
            existing = {(r["project_id"], r["name_key"]) for r in self.db.execute(
                "SELECT project_id, name_key FROM tasks WHERE wid = ? AND deleted_ts IS NULL",
                (wid,))}
            now, first = self.now(), self._next_id("tasks")
            values = []
            for row in records:
                key = (row["project_id"], name_key(row["name"]))
                if key in existing:
                    raise ApiError(400, self.config.duplicate_name_message)
                existing.add(key)
                values.append((wid, row["project_id"], row["name"], key[1],
                               int(row.get("active", True)), row.get("estimated_seconds"),
                               row.get("user_id"), now, now))
            self.db.executemany(
                "INSERT INTO tasks (wid, project_id, name, name_key, active, estimated_seconds, "
                "user_id, created_ts, at_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            return list(range(first, first + len(values)))

    def bulk_add_project_users(self, wid: int, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """Fast insert of many project users: rows of project_id, user_id, manager, rate."""
        records = list(rows)
        with self.transaction():
            self.workspace_row(wid)
            now, first = self.now(), self._next_id("project_users")
            self.db.executemany(
                "INSERT INTO project_users (wid, project_id, user_id, manager, rate, rate_ts, "
                "at_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(wid, row["project_id"], row["user_id"], int(row.get("manager", False)),
                  row.get("rate"), None if row.get("rate") is None else now, now)
                 for row in records])
            return list(range(first, first + len(records)))

    def bulk_add_clients(self, wid: int, names: Iterable[str]) -> list[int]:
        rows = [{"name": name} for name in names]
        return self._bulk_insert("clients", wid, rows, lambda row, now: {})

    def bulk_add_tags(self, wid: int, names: Iterable[str]) -> list[int]:
        rows = [{"name": name} for name in names]
        return self._bulk_insert("tags", wid, rows, lambda row, now: {})

    def bulk_add_projects(self, wid: int, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """Fast insert of many projects: rows of name, client_id, active, color, is_private,
        actual_seconds. Names are checked for uniqueness per client like the API does."""
        def project_columns(row: Mapping[str, Any], now: float) -> dict[str, Any]:
            return {
                "client_id": row.get("client_id"), "active": int(row.get("active", True)),
                "is_private": int(row.get("is_private", True)),
                "color": row.get("color", "#0b83d9"),
                "seeded_seconds": int(row.get("actual_seconds", 0)),
                "start_date": date_style(now), "created_ts": now,
            }

        return self._bulk_insert("projects", wid, list(rows), project_columns)

    def _bulk_insert(
        self,
        table: str,
        wid: int,
        rows: list[Mapping[str, Any]],
        extra_columns: Callable[[Mapping[str, Any], float], dict[str, Any]],
    ) -> list[int]:
        with self.transaction():
            self.workspace_row(wid)
            now = self.now()
            self._refuse_duplicates(table, wid, rows)
            records = [
                {"wid": wid, "name": row["name"], "name_key": name_key(row["name"]),
                 "at_ts": now, **extra_columns(row, now)}
                for row in rows
            ]
            if not records:
                return []
            columns = list(records[0])
            first = self._next_id(table)
            self.db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                f"({', '.join('?' for _ in columns)})",
                [tuple(record[c] for c in columns) for record in records],
            )
            return list(range(first, first + len(records)))

    def _next_id(self, table: str) -> int:
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return int(row["seq"]) + 1

    def _refuse_duplicates(self, table: str, wid: int, rows: list[Mapping[str, Any]]) -> None:
        scope = "client_id" if table == "projects" else "NULL"
        existing = self.db.execute(
            f"SELECT {scope} AS scope, name, name_key FROM {table} "
            "WHERE wid = ? AND deleted_ts IS NULL", (wid,),
        ).fetchall()
        seen = {(r["scope"], self._key_of(r["name"])) for r in existing}
        for row in rows:
            key = (row.get("client_id") if table == "projects" else None, self._key_of(row["name"]))
            if key in seen:
                message = (tag_rules.duplicate_message(row["name"]) if table == "tags"
                           else self.config.duplicate_name_message)
                raise ApiError(400, message)
            seen.add(key)

    def _key_of(self, name: str) -> str:
        return self.name_param(name)

    # ------------------------------------------------------------ inspection helpers (tests)

    def clients(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return client_rules.list_clients(self, wid, {"status": "both"})

    def projects(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return project_rules.all_projects(self, wid)

    def tags(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return tag_rules.list_tags(self, wid, {})

    def time_entries(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return entry_rules.workspace_entries(self, wid)

    def tasks(self, wid: int) -> list[dict[str, Any]]:
        """Every live task of the workspace (done ones too), by name, as the API shapes them."""
        with self.transaction():
            return task_rules.tasks_of_workspace(self, wid)

    def project_users(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return member_rules.list_project_users(self, wid, {})

    def project_groups(self, wid: int) -> list[dict[str, Any]]:
        with self.transaction():
            return member_rules.list_project_groups(self, wid, {})

    def counts(self, wid: int) -> dict[str, int]:
        """Live (not deleted) objects per kind, with archived ones counted separately too."""
        with self.transaction():
            return {
                "clients": self._count("clients", wid),
                "archived_clients": self._count("clients", wid, "archived = 1"),
                "projects": self._count("projects", wid),
                "archived_projects": self._count("projects", wid, "active = 0"),
                "tags": self._count("tags", wid),
                "time_entries": self._count("time_entries", wid),
                "tasks": self._count("tasks", wid),
                "done_tasks": self._count("tasks", wid, "active = 0"),
                "project_users": self._count("project_users", wid),
                "project_groups": self._count("project_groups", wid),
            }

    def _count(self, table: str, wid: int, condition: str = "1 = 1") -> int:
        row = self.db.execute(
            f"SELECT COUNT(*) AS n FROM {table} WHERE wid = ? AND deleted_ts IS NULL "
            f"AND {condition}", (wid,),
        ).fetchone()
        return int(row["n"])

