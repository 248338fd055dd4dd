"""The command line: list, validate and a reduced main job."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from septrial.cli import main
from septrial.power_curves import assurance


def test_list_and_validate(tmp_path, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "esketamine_otto2021" in out and "nct04843982" in out
    assert main(["validate", "nct04843982"]) == 0
    assert "boundary_conflict" in capsys.readouterr().out


def test_bad_scenario_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "extends": "nct04843982",
                "arms": [
                    {
                        "name": "x",
                        "doses": [
                            {
                                "drug": "esketamine",
                                "type": "infusion",
                                "unit": "mg/kg/h",
                                "rate": -1,
                            }
                        ],
                    }
                ],
            }
        )
    )
    assert main(["validate", str(bad)]) == 2
    assert "$.arms[0].doses[0].rate" in capsys.readouterr().err


def test_run_writes_every_output(tmp_path):
    args = [
        "run",
        "nct04843982",
        "--out",
        str(tmp_path),
        "--n-screen",
        "600",
        "--n-per-arm",
        "10",
        "--n-list",
        "10",
        "20",
        "--n-trials",
        "40",
    ]
    assert main(args) == 0
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    # R/CL for 70 kg at 0.07 mg/kg/h (Otto 2021): 4.9 mg/h / 95.2 L/h
    assert abs(summary["typical_patient_pk"]["esketamine_ng_ml_at_72h"] - 4.9 / 95.2 * 1000) < 0.5
    for name in (
        "pk_typical_patient.png",
        "screening_funnel.png",
        "power_curve.png",
        "trial_analysis.csv",
        "power_curve.csv",
        "sample_size.csv",
    ):
        assert (tmp_path / name).is_file(), name
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_assurance_writes_the_table_draws_and_plot(scenario, tmp_path, capsys):
    keep = [e.to_dict() for e in scenario.endpoints if e.name in ("il6_0h", "il6_72h")]
    change = {"endpoints": keep, "analysis.plan": [scenario.analysis.plan[0].to_dict()]}
    quick = scenario.with_changes({**change, "journey.follow_up_h": 72.0})
    path = tmp_path / "quick.json"
    path.write_text(quick.canonical_json())
    out = tmp_path / "out"
    args = ["assurance", str(path), "--n-list", "4", "6", "--n-trials", "3", "--seed", "2"]
    assert main([*args, "--out", str(out)]) == 0
    table = pd.read_csv(out / "assurance.csv")
    draws = pd.read_csv(out / "assurance_draws.csv")
    assert list(table["n_per_arm"]) == [4, 6] and (table["integration"] == "monte_carlo").all()
    assert len(draws) == 3 and {"IC50", "I_max", "IC50_component"} <= set(draws.columns)
    assert (out / "assurance.png").exists() and (out / "assurance_summary.json").exists()
    direct = assurance(quick, [4, 6], 3, seed=2)
    np.testing.assert_allclose(table["assurance"], direct["assurance"])
    assert "Assurance (monte_carlo)" in capsys.readouterr().out
    assert main([*args, "--method", "pool", "--out", str(tmp_path / "x")]) == 2
    assert "method: Monte Carlo assurance" in capsys.readouterr().err
