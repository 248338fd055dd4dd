"""Output folders a user can trust, tables and summaries that identify themselves, CLI help."""

from __future__ import annotations

import json
import stat

import numpy as np
import pandas as pd
import pytest

from septrial.cli import build_parser, main
from septrial.outputs import MANIFEST, OutputFolder, dumps

IDENT = {"scenario": "s", "scenario_sha256": "0" * 64, "seed": 3, "septrial_version": "x"}


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"bare {constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def _write(out, files, fmt="csv"):
    with OutputFolder(out, fmt, IDENT) as o:
        for name in files:
            o.table(name, pd.DataFrame({"t": [1.0, np.inf], "x": [np.nan, 2.0]}))
        o.json("summary.json", {"value": float("nan"), "big": float("inf")})


def test_rerun_replaces_the_folder_and_a_failure_keeps_it(tmp_path):
    out = tmp_path / "res"
    _write(out, ["a", "b"])
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["a.csv", "a.csv.json", "b.csv", "b.csv.json", "summary.json", MANIFEST]
    )
    _write(out, ["c"])  # no mix: a and b are gone
    assert not (out / "a.csv").exists() and (out / "c.csv").exists()
    with pytest.raises(RuntimeError), OutputFolder(out, "csv", IDENT) as o:
        o.table("d", pd.DataFrame({"x": [1]}))
        raise RuntimeError("crash")
    assert (out / "c.csv").exists() and not (out / "d.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary folders left
    for p in out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p.name
    manifest = _strict((out / MANIFEST).read_text())
    assert manifest["complete"] and manifest["files"] == ["c.csv", "c.csv.json", "summary.json"]


def test_tables_and_json_identify_themselves(tmp_path):
    out = tmp_path / "res"
    _write(out, ["t"])
    assert (out / "t.csv").read_text().splitlines()[1:] == ["1.0,", ",2.0"]  # inf -> empty
    side = _strict((out / "t.csv.json").read_text())
    assert side["scenario_sha256"] == "0" * 64 and side["seed"] == 3 and side["rows"] == 2
    assert "t" in side["empty_cells"]
    summary = _strict((out / "summary.json").read_text())
    assert summary["value"] is None and summary["big"] is None
    assert set(summary["null_reasons"]) == {"$.value", "$.big"}
    assert _strict(dumps({"a": np.float64("nan")}))["a"] is None


def test_parquet_carries_metadata(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "res"
    _write(out, ["t"], fmt="parquet")
    meta = pq.read_schema(out / "t.parquet").metadata
    assert _strict(meta[b"septrial"].decode())["scenario"] == "s"
    back = pd.read_parquet(out / "t.parquet")
    assert back["t"].isna().tolist() == [False, True]


def test_foreign_folder_is_refused(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="did not write"):
        OutputFolder(tmp_path)
    code = main(["screen", "nct04843982", "--n-screen", "50", "--out", str(tmp_path)])
    assert code == 2 and "did not write" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_screen_and_compare_commands(tmp_path):
    out = tmp_path / "screen"
    assert main(["screen", "nct04843982", "--n-screen", "300", "--out", str(out)]) == 0
    summary = _strict((out / "screen_summary.json").read_text())
    for key in ("scenario", "scenario_sha256", "seed", "method", "sizes", "septrial_version"):
        assert key in summary, key
    assert summary["sizes"]["n_screen"] == 300
    first = (out / "screening.md").read_text().splitlines()[0]
    assert first.startswith("<!-- septrial {") and summary["scenario_sha256"] in first
    out = tmp_path / "compare"
    args = ["compare", "nct04843982", "nct04843982_double_dose", "--out", str(out)]
    args += ["--n-list", "10", "--n-trials", "20", "--pool-per-arm", "20", "--labels", "a", "b"]
    pytest.importorskip("pyarrow")
    assert main([*args, "--format", "parquet"]) == 0
    table = pd.read_parquet(out / "compare.parquet")
    assert table["variant"].tolist() == ["a", "b"]
    summary = _strict((out / "compare_summary.json").read_text())
    assert summary["shared_pools"] is True
    assert summary["scenario"] == ["nct04843982", "nct04843982_double_dose"]
    assert (out / "compare.png").is_file()


def test_help_teaches():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, sp in sub.choices.items():
        text = sp.format_help()
        assert "``" not in text and ":func:" not in text, name
        for action in sp._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings or action.dest}: no help"
        if name in ("run", "power", "compare"):
            assert "(default: 1)" in text  # --seed's default shown
    assert "--out" not in sub.choices["list"].format_help()
    assert "--seed" not in sub.choices["validate"].format_help()
