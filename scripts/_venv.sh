# Sourced by scripts/demo and scripts/test: make .venv hold exactly the locked versions
# (uv.lock, made by `uv lock`), syncing again only when the lock or the extras changed.
# uv comes from PATH, else from a bootstrap venv it is pip-installed into once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"
BOOTSTRAP="${BLACKROAD_UV_BOOTSTRAP:-$HOME/.cache/blackroad/uv-bootstrap}"

find_uv() {
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  if [ ! -x "$BOOTSTRAP/bin/uv" ]; then
    echo "==> installing uv into $BOOTSTRAP (once)" >&2
    "$PYTHON" -m venv "$BOOTSTRAP"
    "$BOOTSTRAP/bin/python" -m pip install -q --disable-pip-version-check uv >&2
  fi
  echo "$BOOTSTRAP/bin/uv"
}

LOCK_HASH="$(cat "$ROOT/uv.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
# A sync with the dev extras also serves the demo; the demo's own sync keeps them (--inexact).
if [ ! -f "$VENV/.synced-$LOCK_HASH-$EXTRAS" ] && [ ! -f "$VENV/.synced-$LOCK_HASH-dev" ]; then
  UV="$(find_uv)"
  echo "==> installing the locked dependencies${EXTRAS:+ with [$EXTRAS]} into $VENV"
  # Never download a Python: use this machine's (>= 3.11).
  UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$VENV" "$UV" sync --frozen --inexact \
    --project "$ROOT" --python "$(command -v "$PYTHON")" ${EXTRAS:+--extra "$EXTRAS"}
  rm -f "$VENV"/.synced-* "$VENV"/.installed-*
  touch "$VENV/.synced-$LOCK_HASH-$EXTRAS"
fi
export PATH="$VENV/bin:$PATH"
