"""What every command promises: --version, --help, one-line errors, the default database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from regulars import __version__
from tests.e2e.cli import run_cli, run_json


def test_version_and_help() -> None:
    res = run_cli("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"regulars {__version__}"
    helped = run_cli("--help")
    assert helped.returncode == 0
    for group in ("customers", "orders", "import", "demo", "db"):
        assert group in helped.stdout


def test_db_upgrade_creates_sqlite_file_in_current_directory(tmp_path: Path) -> None:
    res = run_cli("db", "upgrade", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    db = tmp_path / "regulars.db"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"customers", "orders", "order_lines", "businesses"} <= tables
    again = run_json("db", "upgrade", cwd=tmp_path)
    assert again["from"] == again["to"]


def test_database_url_from_environment(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    res = run_cli("db", "upgrade", db_url=f"sqlite:///{target}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert target.exists()
    assert not (tmp_path / "regulars.db").exists()


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    res = run_cli("db", "upgrade", "--db", "nosuchdriver://x/y", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.startswith("error: ")
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    res = run_cli("--debug", "db", "upgrade", "--db", "nosuchdriver://x/y", cwd=tmp_path)
    assert res.returncode != 0
    assert "Traceback" in res.stderr
