# Sourced by scripts/demo and scripts/test: make (or reuse) the project's virtual environment
# with the machine's own python3, where `pip install` outside a venv is refused (PEP 668)
# and python3-pip or python3-venv may be missing.
#
# After `ensure_venv`, $PY is the venv's Python. SAASPORT_VENV names another place for it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SAASPORT_VENV:-$ROOT/.venv}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"

ensure_venv() {
  local system_python
  system_python="$(command -v python3 || true)"
  if [ -z "$system_python" ]; then
    echo "python3 is not installed: apt-get install python3 (3.11 or newer)" >&2
    return 1
  fi
  if ! "$system_python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "saasport needs Python 3.11 or newer; $system_python is $("$system_python" -V)" >&2
    return 1
  fi
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    echo "creating the virtual environment $VENV"
    if ! "$system_python" -m venv "$VENV" >/dev/null 2>&1; then
      # Debian ships ensurepip apart (python3-venv): make the venv without pip, then bring
      # pip in from PyPI (scripts/bootstrap_pip.py checks the wheel's SHA-256).
      rm -rf "$VENV"
      "$system_python" -m venv --without-pip "$VENV"
      "$VENV/bin/python" "$ROOT/scripts/bootstrap_pip.py"
    fi
  fi
  PY="$VENV/bin/python"
}

# Install the project (and extras, e.g. "[test]") into the venv, at the locked versions.
install_project() {
  "$PY" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" -e "$ROOT$1"
}

# Run a command as root: directly, or through sudo when there is one.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "need root to run: $*" >&2
    return 1
  fi
}

# Install Debian packages, waiting for the dpkg lock if another apt is running.
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq --no-install-recommends "$@" >/dev/null
}
