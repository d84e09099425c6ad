#!/usr/bin/env bash
# A backup of the survey's database, proven restorable before any older one is let go:
#   1. `survey_cli.py backup` writes a consistent snapshot (the app may keep running);
#   2. it is restored into a scratch SQLite file (a backup restores into either database)
#      and the restored audit log's hash chain is verified there;
#   3. only then are backups older than KEEP_DAYS removed.
# Any failure stops the script with a non-zero status and keeps every older backup; the
# monitor's `survey_cli.py check` then reports the last backup's age.
#
# Environment: DATABASE_URL (the live database), BACKUP_DIR (default /var/backups/survey),
# KEEP_DAYS (default 14), SURVEY_PYTHON (default python3), SURVEY_BACKUP_KEY (optional).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${SURVEY_PYTHON:-python3}"
folder="${BACKUP_DIR:-/var/backups/survey}"
keep="${KEEP_DAYS:-14}"
mkdir -p "$folder"
file="$folder/survey-$(date -u +%Y%m%dT%H%M%SZ).backup"

"$python" survey_cli.py backup --out "$file"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
DATABASE_URL="sqlite:///$scratch/restored.sqlite3" "$python" survey_cli.py restore "$file"
DATABASE_URL="sqlite:///$scratch/restored.sqlite3" "$python" survey_cli.py audit verify
echo "restored and verified: $file"

find "$folder" -maxdepth 1 -name 'survey-*.backup' -mtime +"$keep" -print -delete \
  | sed 's/^/removed (older than '"$keep"' days): /'
