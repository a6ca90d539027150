#!/usr/bin/env bash
# Back up CareerLadder: the Postgres database and the uploaded files.
#
#   DATABASE_URL=postgres://user:password@host:5432/careerladder scripts/backup.sh [DEST_DIR]
#
# Writes, in DEST_DIR (default: backups):
#   careerladder-<UTC time>.dump     pg_dump custom format (compressed; restore with restore.sh)
#   media-<UTC time>.tar.gz          the files under MEDIA_ROOT (default var/media), if any
# and prints their paths. Files appear under their final names only once complete, and the
# dump is read back (pg_restore --list) before the script reports success. pg_dump takes a
# consistent snapshot while the application keeps running.
#
# In the compose stack run it where pg_dump can reach the database; docs/production.md has the
# `docker compose exec` form. The embedded SQLite database is a single file: check it with
# `manage.py check_sqlite` and copy it while the app is stopped.
set -euo pipefail

dest="${1:-backups}"
: "${DATABASE_URL:?set DATABASE_URL to the Postgres database to back up}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *)
    echo "backup.sh: DATABASE_URL is not a Postgres URL. For the embedded SQLite file, run" >&2
    echo "  python manage.py check_sqlite and copy the file while the app is stopped." >&2
    exit 2
    ;;
esac
stamp="${BACKUP_STAMP:-$(date -u +%Y%m%dT%H%M%SZ)}"
media="${MEDIA_ROOT:-var/media}"
mkdir -p "$dest"

dump="$dest/careerladder-$stamp.dump"
pg_dump --format=custom --no-owner --no-privileges --file="$dump.partial" "$DATABASE_URL"
pg_restore --list "$dump.partial" >/dev/null
mv "$dump.partial" "$dump"
echo "$dump"

if [ -d "$media" ]; then
  archive="$dest/media-$stamp.tar.gz"
  tar -czf "$archive.partial" -C "$media" .
  mv "$archive.partial" "$archive"
  echo "$archive"
fi
