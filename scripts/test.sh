#!/usr/bin/env bash
# The whole test suite: lint, format and layer checks, then mocha. Installs npm packages and the Debian tools
# (Verilator, Icarus, Yosys, nextpnr, PyTorch) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --debian
# style and structure first (ESLint, Prettier, the layer rule of docs/architecture.md): seconds, and they name the file
npm run --silent lint
# python3-torch was just ensured, so the PyTorch cross-check must run, not skip itself
export IVIT_REQUIRE_TORCH=1
exec npx mocha --config .mocharc.json "$@"
