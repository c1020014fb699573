"""A file database: WAL with synchronous=NORMAL (no fsync per commit), every commit in the
main file after a normal stop, and nothing lost when the process dies without closing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox import Sandbox, SandboxConfig, Store
from reconciler.sandbox.groups import add_group, list_workspace_groups

REPO_ROOT = Path(__file__).resolve().parents[2]
_SYNCHRONOUS_NORMAL = 1


def _file_config(path: Path) -> SandboxConfig:
    return SandboxConfig(db=str(path), seed_demo=False)


def test_file_database_commits_without_waiting_for_the_disk(tmp_path: Path) -> None:
    store = Store(_file_config(tmp_path / "s.db"))
    journal = store.db.execute("PRAGMA journal_mode").fetchone()[0]
    synchronous = store.db.execute("PRAGMA synchronous").fetchone()[0]
    store.close()
    assert (journal, synchronous) == ("wal", _SYNCHRONOUS_NORMAL)


def test_after_a_stop_the_main_file_alone_holds_every_write(tmp_path: Path) -> None:
    database = tmp_path / "s.db"
    with Sandbox(_file_config(database)) as running:
        wid = running.store.ensure_workspace("Acme")
        running.store.add_project(wid, "Persisted", active=True)
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)  # without the -wal file
    reopened = Store(_file_config(copy))
    assert [p["name"] for p in reopened.projects(wid)] == ["Persisted"]
    reopened.close()


def test_a_process_killed_before_closing_loses_no_commit(tmp_path: Path) -> None:
    database = tmp_path / "s.db"
    script = (
        "import os\n"
        "from reconciler.sandbox import SandboxConfig, Store\n"
        f"store = Store(SandboxConfig(db={str(database)!r}, seed_demo=False))\n"
        "store.add_project(store.ensure_workspace('Acme'), 'Survivor', active=True)\n"
        "os._exit(0)  # no close, no checkpoint\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True, timeout=30)
    store = Store(_file_config(database))
    wid = store.ensure_workspace("Acme")
    assert [p["name"] for p in store.projects(wid)] == ["Survivor"]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_a_database_from_before_groups_gains_the_table_on_open(tmp_path: Path) -> None:
    """Kept `toggl-sandbox.db` files predate the groups table: opening one adds it."""
    database = tmp_path / "old.db"
    store = Store(_file_config(database))
    wid = store.ensure_workspace("Kept")
    store.db.execute("DROP TABLE groups")
    store.db.execute("DELETE FROM sqlite_sequence WHERE name = 'groups'")
    store.close()
    with Sandbox(_file_config(database)) as sandbox:
        group = add_group(sandbox.store, "Team", [wid])
        with sandbox.store.transaction():
            listed = list_workspace_groups(sandbox.store, wid)
    assert [g["id"] for g in listed] == [group] and group > 188_900
