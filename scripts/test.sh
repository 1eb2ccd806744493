#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL when one answers (required in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PY=.venv/bin/python
PG_URL="${FEEDLOOP_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

echo "== pytest on SQLite =="
FEEDLOOP_TEST_DATABASE_URL= $PY -m pytest "$@"

if $PY - "$PG_URL" <<'PYEOF' 2>/dev/null
import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1], connect_args={"connect_timeout": 3}).connect() as c:
    c.execute(text("SELECT 1"))
PYEOF
then
  echo "== pytest on PostgreSQL ($PG_URL) =="
  FEEDLOOP_TEST_DATABASE_URL="$PG_URL" $PY -m pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, and CI must test it" >&2
  exit 1
else
  echo "PostgreSQL not reachable at $PG_URL: the PostgreSQL pass was skipped (set FEEDLOOP_TEST_PG_URL)."
fi
