#!/bin/sh
# digestbot container entrypoint: wait for the database, bring its schema to head, exec the command.
#
# Why here and not in `digestbot run`: in Compose the bot can start before PostgreSQL accepts
# connections (a restart of the db container, or a healthcheck that passed on the init server),
# and a one-off `docker compose run bot digestbot ingest ...` wants the same migrated schema.
# The upgrade is safe when several workers start at once (the store holds a PostgreSQL advisory
# lock around it), so every worker runs it.
#
# Environment (see .env.example):
#   DIGESTBOT_DATABASE_URL   the database; else the config's `database`, else SQLite under /data
#   DIGESTBOT_DB_WAIT        seconds to wait for PostgreSQL to accept connections (default 60)
#   DIGESTBOT_SKIP_MIGRATE   1: skip `digestbot db upgrade` (e.g. `digestbot config check`)
#
# No arguments: `digestbot run`. Arguments starting with "-": passed to `digestbot`.
# Exit status: the command's, or 2 with one line on stderr when the database never answered.
set -eu

if [ "$#" -eq 0 ]; then
    set -- digestbot run
elif [ "${1#-}" != "$1" ]; then
    set -- digestbot "$@"
fi

# Wait for PostgreSQL (SQLite needs no wait). The URL is resolved exactly as digestbot does
# (--db aside): $DIGESTBOT_DATABASE_URL, else the config file's `database`, else the default.
python - <<'PY'
import os
import sys
import time

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from digests.errors import DigestbotError
from digests.settings import config_path_from, load_settings


def fail(message: str) -> None:
    sys.stderr.write(f"entrypoint: {message}\n")
    sys.exit(2)


try:
    url = load_settings(config_path_from(None)).database
    parsed = sa.make_url(url)
except (DigestbotError, sa.exc.ArgumentError, ValueError):
    sys.exit(0)  # a bad config or URL: the command itself reports it in one line
if parsed.get_backend_name() != "postgresql":
    sys.exit(0)
raw = os.environ.get("DIGESTBOT_DB_WAIT", "").strip() or "60"
try:
    budget = float(raw)
except ValueError:
    fail(f"DIGESTBOT_DB_WAIT must be a number of seconds, not {raw!r}")
shown = parsed.render_as_string(hide_password=True)
deadline = time.monotonic() + budget
reason = "no attempt made"
while True:
    # libpq's minimum connect_timeout is 2 s; the last attempt may end that much after the budget
    timeout = int(max(2, min(5, deadline - time.monotonic())))
    engine = sa.create_engine(parsed, poolclass=NullPool,
                              connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        sys.exit(0)
    except sa.exc.SQLAlchemyError as e:
        text = str(getattr(e, "orig", None) or e).strip()
        reason = text.splitlines()[0] if text else type(e).__name__
    finally:
        engine.dispose()
    left = deadline - time.monotonic()
    if left <= 0:
        break
    time.sleep(min(1.0, left))
fail(f"database {shown} not reachable after {budget:g}s: {reason}")
PY

if [ "${DIGESTBOT_SKIP_MIGRATE:-0}" != "1" ]; then
    # Its one line ("database is at schema version ...") goes to stderr: stdout is the command's.
    digestbot db upgrade >&2
fi

exec "$@"
