"""How much does the answer depend on what nobody knows? The 72 h IL-6 and mHLA-DR difference
between arms across the drug-effect assumptions IC50 x I_max (docs/model.md, drug effect).

The same virtual patients are followed in both arms (common random numbers) without assay noise,
so each cell shows the model's effect, not sampling noise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from septrial.enrolment import enrol
from septrial.outcomes import treat
from septrial.study import Study, as_study

#: The sweep ranges of the drug-effect assumptions (docs/model.md, drug effect).
DEFAULT_IC50 = (30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 25000.0)
DEFAULT_I_MAX = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

_ENDPOINTS = [
    {"name": "il6_72h", "kind": "value", "observable": "il6_pg_ml", "time_h": 72},
    {"name": "hla_dr_72h", "kind": "value", "observable": "hla_dr_abc", "time_h": 72},
    {"name": "p_72h", "kind": "value", "observable": "P", "time_h": 72},
]


def effect_map(
    scenario,
    ic50: Sequence[float] = DEFAULT_IC50,
    i_max: Sequence[float] = DEFAULT_I_MAX,
    n: int = 300,
    seed: int = 1,
    threads: int | None = None,
) -> pd.DataFrame:
    """One row per (IC50, I_max): geometric-mean ratio treated/control at 72 h of IL-6 and
    mHLA-DR (paired, patients alive at 72 h), and the mean pathogen load difference (harm
    signal: slower clearance when phagocyte activation is inhibited)."""
    if n < 2:
        raise ValueError(f"n: must be >= 2, got {n}")
    for name, values in (("ic50", ic50), ("i_max", i_max)):
        if len(values) == 0:
            raise ValueError(f"{name}: give at least one value")
    if min(ic50) <= 0:
        raise ValueError(f"ic50: every value must be > 0 ng/mL, got {min(ic50)}")
    if min(i_max) < 0 or max(i_max) > 1:
        raise ValueError(f"i_max: values must be in [0, 1], got {list(i_max)}")
    sc = as_study(scenario).scenario.with_changes(
        {
            "endpoints": _ENDPOINTS,
            "analysis.plan": [{"name": "il6", "endpoint": "il6_72h", "test": "welch"}],
            "measurement.assay_noise": False,
        }
    )
    study = Study(sc)
    frame = enrol(study, n, seed, threads=threads).frame
    control, treated = sc.arm_names[:2]
    c = treat(study, frame, control, seed, threads=threads)
    rows = []
    for ic, im in itertools.product(ic50, i_max):
        t = treat(
            study,
            frame,
            treated,
            seed,
            threads=threads,
            overrides={"IC50": float(ic), "I_max": float(im)},
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            il6 = np.log(t["il6_72h"] / c["il6_72h"])
            hla = np.log(t["hla_dr_72h"] / c["hla_dr_72h"])
        rows.append(
            {
                "IC50": float(ic),
                "I_max": float(im),
                "il6_ratio_72h": float(np.exp(np.nanmean(il6))),
                "hla_dr_ratio_72h": float(np.exp(np.nanmean(hla))),
                "pathogen_diff_72h": float(np.nanmean(t["p_72h"] - c["p_72h"])),
                "n_paired": int(np.isfinite(il6).sum()),
            }
        )
    return pd.DataFrame(rows)
