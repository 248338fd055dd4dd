"""A power run interrupted by SIGINT (Ctrl-C) or SIGTERM part-way resumes from its checkpoint:
the resumed run loads the finished chunks (counted apart from the throughput) and gives the same
table as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ARGS = ["power", "nct04843982", "--method", "fresh", "--n-list", "10", "20"]
ARGS += ["--n-trials", "64", "--no-grid", "--threads", "1"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        parts = [str(Path(p).resolve()) if p else p for p in env["PYTHONPATH"].split(os.pathsep)]
        env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def _cli(*extra: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "septrial", *ARGS, *extra]
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    cwd = tmp_path_factory.mktemp("reference")
    done = _cli("--out", "out", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(cwd / "out" / "power_curve.csv")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_power_run_resumes_to_the_same_table(reference, tmp_path, sig):
    ck = tmp_path / "ck"
    cmd = [sys.executable, "-m", "septrial", *ARGS, "--checkpoint", "ck", "--out", "out1"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if ck.is_dir() and len(list(ck.glob("chunk-*.npz"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "--checkpoint to resume" in err
    else:
        assert proc.returncode == -signal.SIGTERM
    assert not (tmp_path / "out1" / "power_curve.csv").exists()  # nothing half-written
    written = len(list(ck.glob("chunk-*.npz")))
    assert 2 <= written < 16  # interrupted part-way (16 chunks in all)

    resumed = _cli("--checkpoint", "ck", "--out", "out2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((tmp_path / "out2" / "power_summary.json").read_text())
    per_chunk = 64 // 16 * (20 + 20)  # trials per chunk x patients per trial
    assert summary["patients_resumed"] == written * per_chunk
    table = pd.read_csv(tmp_path / "out2" / "power_curve.csv")
    pd.testing.assert_frame_equal(table, reference)
