#!/usr/bin/env bash
# The whole test suite. Installs npm packages and the Debian tools (Verilator, Icarus, Yosys, nextpnr, PyTorch) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
# python3-torch was just ensured, so the PyTorch cross-check must run, not skip itself
export IVIT_REQUIRE_TORCH=1
exec npx mocha --config .mocharc.json "$@"
