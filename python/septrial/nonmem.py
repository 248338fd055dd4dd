"""NONMEM-style event datasets (one row per dose or observation) for other tools (NONMEM,
nlmixr2, Monolix, Pumas).

Columns: ``ID``, ``TIME`` (h), ``AMT`` (mg), ``RATE`` (mg/h; 0 for a bolus), ``EVID`` (1 dose,
0 observation), ``MDV`` (1 on dose rows), ``CMT``, ``DVID``, ``DV``, then the covariates ``WT``
(kg), ``AGE`` (years), ``HT`` (cm), ``SEX`` (1 male, 0 female) when known.

Compartments: dose rows use ``CMT`` = the drug's position in the model's drug list (1-based,
e.g. esketamine 1, propofol 2); observation rows use ``CMT`` = number of drugs + ``DVID``, where
``DVID`` numbers the observables in the order they appear in the data (``attrs["dvid"]`` maps
DVID to the observable and its unit). At equal times the dose comes first: septrial's value at
a dose time already includes the dose (NONMEM reads the rows in order). Per-kg doses are
multiplied by ``WT``. An infusion without an end runs to the last time of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from septrial.library import model_info

__all__ = ["COVARIATES", "dose_rows", "observation_rows", "to_nonmem", "trial_to_nonmem"]

#: Covariate column -> septrial covariate name.
COVARIATES = {"WT": "weight_kg", "AGE": "age_y", "HT": "height_cm", "SEX": "sex"}
COLUMNS = ["ID", "TIME", "AMT", "RATE", "EVID", "MDV", "CMT", "DVID", "DV"]


def _covariates(cov: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for col, name in COVARIATES.items():
        if name in cov and cov[name] is not None:
            value = cov[name]
            if name == "sex":
                male = str(value).lower() in ("male", "m")
                value = int(value) if isinstance(value, int | float) else int(male)
            out[col] = value
    return out


def dose_rows(doses: Iterable[Any], drugs: tuple[str, ...], weight_kg: float, end_h: float):
    """Rows (dicts) of ``doses`` (Bolus, Infusion, PumpLog or their protocol forms)."""
    rows = []
    for dose in doses:
        cmt = drugs.index(dose.drug) + 1
        scale = weight_kg if dose.per_kg else 1.0
        if dose.type == "bolus":
            rows.append({"TIME": dose.time_h, "AMT": dose.dose * scale, "RATE": 0.0, "CMT": cmt})
            continue
        for part in dose.infusions():
            stop = min(part.end_h, end_h)
            if stop <= part.start_h or part.rate <= 0:
                continue
            rate = part.rate * scale
            rows.append(
                {
                    "TIME": part.start_h,
                    "AMT": rate * (stop - part.start_h),
                    "RATE": rate,
                    "CMT": cmt,
                }
            )
    for r in rows:
        r.update({"EVID": 1, "MDV": 1, "DVID": 0, "DV": 0.0})
    return rows


def observation_rows(frame: pd.DataFrame, observables: list[str], n_drugs: int):
    """Rows (dicts) of every observable column of ``frame`` (``time_h`` plus the columns)."""
    rows = []
    for k, col in enumerate(observables, start=1):
        for t, v in zip(frame["time_h"], frame[col], strict=True):
            missing = not np.isfinite(v)
            rows.append(
                {
                    "TIME": float(t),
                    "AMT": 0.0,
                    "RATE": 0.0,
                    "EVID": 0,
                    "MDV": int(missing),
                    "CMT": n_drugs + k,
                    "DVID": k,
                    "DV": float(v),
                }
            )
    return rows


def assemble(rows: list[dict], covariates: dict[str, Any], patient_id: int) -> pd.DataFrame:
    """One patient's rows as a frame sorted by time (doses before observations at a time)."""
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "ID"])
    frame.insert(0, "ID", int(patient_id))
    for col, value in covariates.items():
        frame[col] = value
    order = np.lexsort((-frame["EVID"].to_numpy(), frame["TIME"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def to_nonmem(
    result: pd.DataFrame,
    doses: Iterable[Any],
    covariates: Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    model: str | None = None,
    observables: list[str] | None = None,
) -> pd.DataFrame:
    """A NONMEM-style event dataset from a :func:`septrial.simulate` result and its doses.

    ``covariates`` are the ones given to ``simulate`` (a dict, or a DataFrame with one row per
    patient of a cohort); ``doses`` a list shared by everyone or, for a cohort, one list per
    patient. ``observables`` default to the model's observables present in ``result``.
    See the module documentation for the columns and the CMT/DVID numbering.
    """
    info = model_info(model or result.attrs.get("model", "esketamine_otto2021"))
    known = [o["name"] for o in info.observables]
    observables = observables or [c for c in result.columns if c in known]
    units = {o["name"]: o["unit"] for o in info.observables}
    doses = list(doses)
    if "patient" in result:
        groups = list(result.groupby("patient", sort=True))
    else:
        groups = [(0, result)]
    table = covariates if isinstance(covariates, pd.DataFrame) else None
    per_patient = table is not None and len(doses) == len(table) and not hasattr(doses[0], "drug")
    parts = []
    for i, (patient, frame) in enumerate(groups):
        cov = dict(table.iloc[int(patient)]) if table is not None else dict(covariates or {})
        weight = float(cov.get("weight_kg", 70.0))
        mine = doses[int(patient)] if per_patient else doses
        end = float(frame["time_h"].max())
        rows = dose_rows(mine, info.drugs, weight, end)
        rows += observation_rows(frame, observables, len(info.drugs))
        parts.append(assemble(rows, _covariates(cov), i + 1))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["dvid"] = {
        k: {"observable": o, "unit": units.get(o, ""), "CMT": len(info.drugs) + k}
        for k, o in enumerate(observables, start=1)
    }
    out.attrs["dose_cmt"] = {d: j + 1 for j, d in enumerate(info.drugs)}
    out.attrs["model"] = info.name
    return out


def trial_to_nonmem(scenario, patients: pd.DataFrame) -> pd.DataFrame:
    """A simulated trial's event dataset: per patient its arm's doses and its measured
    ``value`` endpoints (e.g. IL-6 at 0 and 72 h), ``TIME`` in hours since randomisation.

    Limits: the trial keeps endpoints, not trajectories, so the observations are the endpoint
    measurements only (with the scenario's assay noise); background doses (sedation while
    ventilated, anchored at ICU admission) depend on each patient's journey and are left out;
    a withdrawn or dead patient's missing measurement is a row with ``MDV`` = 1. Extra
    columns: ``ARM`` (0 control, 1 treated) and ``PATIENT`` (septrial's patient index).
    """
    info = scenario.model_info
    values = [e for e in scenario.endpoints if e.kind == "value" and e.name in patients]
    observables = list(dict.fromkeys(e.observable for e in values))
    units = {o["name"]: o["unit"] for o in info.observables}
    n_drugs = len(info.drugs)
    arms = scenario.arm_names
    parts = []
    for i, row in enumerate(patients.itertuples(index=False)):
        p = row._asdict()
        end = float(p.get("followed_h", np.inf))
        rows = dose_rows(scenario.arm(p["arm"]).doses, info.drugs, float(p["weight_kg"]), end)
        for e in values:
            v = float(p[e.name])
            k = observables.index(e.observable) + 1
            rows.append(
                {
                    "TIME": float(e.time_h),
                    "AMT": 0.0,
                    "RATE": 0.0,
                    "EVID": 0,
                    "MDV": int(not np.isfinite(v)),
                    "CMT": n_drugs + k,
                    "DVID": k,
                    "DV": v,
                }
            )
        frame = assemble(rows, _covariates(p), i + 1)
        frame["ARM"] = arms.index(p["arm"])
        frame["PATIENT"] = int(p["patient"])
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["dvid"] = {
        k: {"observable": o, "unit": units.get(o, ""), "CMT": n_drugs + k}
        for k, o in enumerate(observables, start=1)
    }
    out.attrs["dose_cmt"] = {d: j + 1 for j, d in enumerate(info.drugs)}
    out.attrs["model"] = info.name
    return out
