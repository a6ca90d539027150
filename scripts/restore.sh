#!/usr/bin/env bash
# Restore a CareerLadder backup made by backup.sh.
#
#   TARGET_DATABASE_URL=postgres://user:password@host:5432/careerladder \
#     scripts/restore.sh careerladder-<time>.dump [media-<time>.tar.gz]
#
# TARGET_DATABASE_URL (default: DATABASE_URL) names an existing database; what it holds of
# CareerLadder is replaced (pg_restore --clean --if-exists) in one transaction, so a restore
# that fails leaves it as it was. Stop the web, worker and beat services first. With a media
# archive, its files are unpacked into MEDIA_ROOT (default var/media), over what is there.
# Afterwards run `python manage.py migrate` (a no-op for a dump of the same version).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: restore.sh DUMP [MEDIA_ARCHIVE]" >&2
  exit 2
fi
dump="$1"
archive="${2:-}"
target="${TARGET_DATABASE_URL:-${DATABASE_URL:-}}"
if [ -z "$target" ]; then
  echo "restore.sh: set TARGET_DATABASE_URL (or DATABASE_URL) to the database to restore into" >&2
  exit 2
fi
if [ ! -f "$dump" ]; then
  echo "restore.sh: no such dump: $dump" >&2
  exit 2
fi
pg_restore --list "$dump" >/dev/null

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$target" "$dump"
echo "restored $dump"

if [ -n "$archive" ]; then
  media="${MEDIA_ROOT:-var/media}"
  mkdir -p "$media"
  tar -xzf "$archive" -C "$media"
  echo "restored $archive into $media"
fi
