#!/usr/bin/env bash
# The whole test suite. Installs npm packages and the Debian tools (Verilator, Icarus, Yosys, nextpnr, PyTorch) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
exec npx mocha --config .mocharc.json "$@"
