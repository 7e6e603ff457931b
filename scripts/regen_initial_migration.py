"""Regenerate migration 0001 from store/tables.py (allowed only until the first release)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from regulars.store.engine import make_engine
from regulars.store.migrate import MIGRATIONS, alembic_config

versions = MIGRATIONS / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    # Later revisions (hand-written, e.g. 0002 row-level security) step aside meanwhile.
    aside = Path(tmp) / "aside"
    aside.mkdir()
    later = list(versions.glob("0*.py"))
    for p in later:
        shutil.move(p, aside / p.name)
    try:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    finally:
        for p in later:
            shutil.move(aside / p.name, p)
new = next(versions.glob("0001_*.py"))
ruff = [sys.executable, "-m", "ruff"]
subprocess.run([*ruff, "check", "--fix", "--unsafe-fixes", "--quiet", str(new)], check=False)
subprocess.run([*ruff, "format", "--quiet", str(new)], check=True)
print("regenerated", new)
