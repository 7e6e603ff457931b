"""Run the real `regulars` command in a subprocess, as a user's script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(
    *args: str,
    db_url: str | None = None,
    input: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("REGULARS_DATABASE_URL", None)
    if db_url:
        env["REGULARS_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "regulars", *args],
        capture_output=True,
        text=True,
        input=input,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def run_json(*args: str, db_url: str | None = None, **kw: Any) -> Any:
    """Run a command with --json and parse its output; fails the test on a non-zero exit."""
    res = run_cli(*args, "--json", db_url=db_url, **kw)
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr}"
    return json.loads(res.stdout)
