#!/usr/bin/env bash
# Gradescope setup for the @PART@ part of Lección 14: a Python 3.11 virtual environment built
# with pip only. The grader needs no Conda, no `otter generate` and no browser.
set -euo pipefail

SOURCE="${LECCION14_AUTOGRADER_ROOT:-/autograder}/source"
VENV=/opt/leccion14

# NOTE: this script has run only in a simulated layout (a fresh /opt/leccion14 on the course's
# Debian machine), not on Gradescope. The apt fallback assumes an Ubuntu base image whose
# repositories carry python3.11 (22.04 has it in universe).
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi

python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --upgrade pip
"$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
"$VENV/bin/python" -m pip install --no-cache-dir --no-deps "$SOURCE/project"

# The sandboxed recorder runs as `nobody` and must be able to read the interpreter and packages.
chmod -R a+rX "$VENV"
