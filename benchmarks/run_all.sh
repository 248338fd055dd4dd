#!/usr/bin/env bash
# Regenerates docs/benchmarks.md and benchmarks/results/ with one command (needs the bench extra:
# libroadrunner, numbalsoda, JAX + diffrax; llvmlite for the native specification backend).
# Each script owns its section of the page and keeps the others (benchmarks/doc_sections.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python benchmarks/bench_peers.py "$@"
python benchmarks/bench_trial.py --methods rosenbrock4,hybrid --update-docs
python benchmarks/bench_model_definitions.py --backend both --update-docs \
  --out benchmarks/results/bench_model_definitions.json
python benchmarks/bench_patient.py
