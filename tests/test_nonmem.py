"""NONMEM-style export: written, read back with pandas, doses and observations as simulated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import septrial
from septrial.nonmem import to_nonmem

COV = {"weight_kg": 80.0, "age_y": 60.0, "sex": "female"}
DOSES = [
    septrial.Bolus("esketamine", 0.25, "mg/kg", 0.0),
    septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0.0, 72.0),
    septrial.Infusion("propofol", 2.0, "mg/kg/h", 0.0, None),
]


def _simulated():
    times = np.arange(0.0, 97.0, 6.0)
    return septrial.simulate("esketamine_propofol", COV, DOSES, times, method="exact")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_simulation_export_round_trip(tmp_path, fmt):
    sim = _simulated()
    data = septrial.to_nonmem(sim, DOSES, COV)
    path = tmp_path / f"nm.{fmt}"
    if fmt == "csv":
        data.to_csv(path, index=False)
        back = pd.read_csv(path)
    else:
        pytest.importorskip("pyarrow")
        data.to_parquet(path, index=False)
        back = pd.read_parquet(path)
    assert list(back.columns[:9]) == [
        "ID",
        "TIME",
        "AMT",
        "RATE",
        "EVID",
        "MDV",
        "CMT",
        "DVID",
        "DV",
    ]
    doses = back[back["EVID"] == 1]
    # bolus 0.25 mg/kg x 80 kg; esketamine 5.6 mg/h for 72 h; propofol 160 mg/h to the last time
    assert doses["AMT"].tolist() == pytest.approx([20.0, 5.6 * 72, 160.0 * 96])
    assert doses["RATE"].tolist() == pytest.approx([0.0, 5.6, 160.0])
    assert doses["CMT"].tolist() == [1, 1, 2]
    assert (doses["MDV"] == 1).all()
    obs = back[back["EVID"] == 0]
    assert len(obs) == 3 * len(sim)
    for k, info in data.attrs["dvid"].items():
        got = obs[obs["DVID"] == k].sort_values("TIME")
        assert got["CMT"].unique().tolist() == [info["CMT"]]
        np.testing.assert_allclose(got["TIME"], sim["time_h"])
        np.testing.assert_allclose(got["DV"], sim[info["observable"]], rtol=1e-12)
    assert (back["WT"] == 80).all() and (back["SEX"] == 0).all()
    # at t = 0 the doses come first: the simulated value includes the bolus
    assert back.iloc[0]["EVID"] == 1


def test_cohort_and_trial_export():
    cohort = pd.DataFrame({"weight_kg": [60.0, 90.0]})
    sim = septrial.simulate("esketamine_propofol", cohort, DOSES[:2], [0.0, 24.0], method="exact")
    data = to_nonmem(sim, DOSES[:2], cohort)
    assert data["ID"].unique().tolist() == [1, 2]
    bolus = data[(data["EVID"] == 1) & (data["RATE"] == 0)]
    assert bolus["AMT"].tolist() == pytest.approx([15.0, 22.5])

    tr = septrial.run_trial("nct04843982", n_per_arm=3, seed=2)
    nm = tr.to_nonmem()
    assert nm["ID"].nunique() == 6
    treated = nm[(nm["ARM"] == 1) & (nm["EVID"] == 1)]
    assert len(treated) == 3 and treated["RATE"].gt(0).all()
    assert nm[(nm["ARM"] == 0) & (nm["EVID"] == 1)].empty
    il6 = next(k for k, v in nm.attrs["dvid"].items() if v["observable"] == "il6_pg_ml")
    first = tr.patients.iloc[0]
    rows = nm[(nm["ID"] == 1) & (nm["DVID"] == il6)].sort_values("TIME")
    assert rows["DV"].tolist() == pytest.approx([first["il6_0h"], first["il6_72h"]])
