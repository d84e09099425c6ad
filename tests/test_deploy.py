"""The files in deploy/ do what docs/deployment.md says: the nightly backup script backs up,
proves the backup by restoring it, and only then rotates; the proxy's configuration is valid
Caddy with sticky, health-checked replicas; the container copies everything the app imports.
(Two replicas behind that proxy are driven by a browser in tests/browser/test_replicas.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import REPO

DEPLOY = REPO / "deploy"


def run_backup(url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "BACKUP_DIR": str(folder), "KEEP_DAYS": "14",
           "SURVEY_PYTHON": sys.executable}  # fmt: skip
    return subprocess.run(["bash", str(DEPLOY / "backup.sh")], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def aged(path: Path, days: int) -> Path:
    path.write_text("an older backup")
    then = time.time() - days * 86400
    os.utime(path, (then, then))
    return path


def test_the_backup_script_backs_up_restores_verifies_then_rotates(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    old = aged(tmp_path / "survey-20260101T021500Z.backup", 20)
    recent = aged(tmp_path / "survey-20261201T021500Z.backup", 3)

    done = run_backup(database_url, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    taken = sorted(set(tmp_path.glob("survey-*.backup")) - {recent})
    assert len(taken) == 1 and taken[0].stat().st_size > 1000
    assert "Audit log verified" in done.stdout
    assert f"restored and verified: {taken[0]}" in done.stdout
    assert not old.exists() and recent.exists()
    assert f"removed (older than 14 days): {old}" in done.stdout


def test_a_failed_backup_deletes_no_older_one(tmp_path: Path) -> None:
    old = aged(tmp_path / "survey-20260101T021500Z.backup", 20)
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none"

    done = run_backup(unreachable, tmp_path)

    assert done.returncode != 0
    assert old.exists() and "removed" not in done.stdout


def test_the_caddyfile_keeps_each_browser_on_a_healthy_replica() -> None:
    if shutil.which("caddy") is None:
        pytest.skip("needs Debian's caddy: `apt-get install caddy` (bash .ci/run installs it)")
    env = {**os.environ, "SURVEY_SITE": "survey.example.org"}
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    server = json.loads(adapted.stdout)["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]  # TLS: Caddy obtains the certificate for the site
    routes = server["routes"][0]["handle"][0]["routes"]
    proxy = next(h for r in routes for h in r["handle"] if h["handler"] == "reverse_proxy")
    assert proxy["load_balancing"]["selection_policy"] == {"name": "survey_replica",
                                                           "policy": "cookie"}  # fmt: skip
    assert [u["dial"] for u in proxy["upstreams"]] == ["127.0.0.1:8501", "127.0.0.1:8502"]
    assert proxy["health_checks"]["active"]["uri"] == "/_stcore/health"


def test_the_container_copies_every_folder_the_app_imports() -> None:
    lines = (DEPLOY / "Containerfile").read_text().splitlines()
    copied = {part.rstrip("/") for line in lines if line.startswith("COPY ")
              for part in line.split()[1:-1]}  # fmt: skip
    assert all((REPO / name).exists() for name in copied), copied
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= copied, packages - copied
    assert {"survey_app.py", "survey_cli.py", "requirements.txt", ".streamlit"} <= copied
    # and compiles them at build: PYTHONDONTWRITEBYTECODE stops Python writing them later
    [compiled] = [line.split()[4:] for line in lines if "compileall" in line]
    assert packages | {"survey_app.py", "survey_cli.py"} <= set(compiled), compiled


def test_the_units_run_the_app_and_the_backup_script_as_shipped() -> None:
    app = (DEPLOY / "survey-app@.service").read_text()
    assert "streamlit run survey_app.py" in app and "--server.port %i" in app
    assert "Restart=always" in app and "EnvironmentFile=/etc/survey/survey.env" in app
    backup = (DEPLOY / "survey-backup.service").read_text()
    assert "ExecStart=/opt/survey/app/deploy/backup.sh" in backup
    assert os.access(DEPLOY / "backup.sh", os.X_OK)
    assert "OnCalendar=" in (DEPLOY / "survey-backup.timer").read_text()
    example = (DEPLOY / "survey.env.example").read_text()
    settings = [line for line in example.splitlines() if line and not line.startswith("#")]
    assert settings == ["DATABASE_URL=postgresql+psycopg://survey_app:CHANGE-ME@127.0.0.1:5432/survey"]
