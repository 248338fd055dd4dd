"""Drug exposure of a typical patient on a scenario's arm: the arm's doses plus the background
sedation, all from t = 0 (PK only, esketamine + propofol, solved exactly)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from septrial.simulation import simulate

__all__ = ["PK_MODEL", "TYPICAL_PATIENT", "arm_doses", "exposure_metrics", "typical_timecourse"]

#: The patient shown by ``septrial run`` and ``septrial compare``: the PK models' reference weight.
TYPICAL_PATIENT = {"weight_kg": 70.0, "age_y": 50.0}
#: The PK-only model the typical-patient profiles are solved with.
PK_MODEL = "esketamine_propofol"


def treated_arm(scenario):
    """The first arm with doses of its own (the experimental arm), else the second arm."""
    return next((a for a in scenario.arms if a.doses), scenario.arms[-1])


def arm_doses(scenario, arm=None) -> list:
    """The arm's doses and the background, background propofol reduced by the arm's
    ``propofol_sparing_fraction``."""
    arm = treated_arm(scenario) if arm is None else scenario.arm(arm)
    keep = 1.0 - float(arm.propofol_sparing_fraction)
    background = []
    for dose in scenario.background:
        if dose.drug == "propofol" and keep != 1.0:
            field = "dose" if dose.type == "bolus" else "rate"
            if dose.type == "pump_log":
                steps = [[t, r * keep] for t, r in dose.steps]
                dose = dose.model_copy(update={"steps": steps})
            else:
                dose = dose.model_copy(update={field: getattr(dose, field) * keep})
        background.append(dose)
    return [*arm.doses, *background]


def treatment_end_h(doses, drug: str = "esketamine", default: float = 72.0) -> float:
    """End of the last dose of ``drug`` (open-ended infusions: ``default``)."""
    ends = []
    for d in doses:
        if d.drug != drug:
            continue
        if d.type == "bolus":
            ends.append(d.time_h)
        else:
            parts = d.infusions()
            ends += [default if not np.isfinite(p.end_h) else p.end_h for p in parts]
    return float(max(ends)) if ends else default


def typical_timecourse(
    scenario,
    arm: str | None = None,
    times_h: Any = None,
    covariates: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Concentrations of a typical patient on ``arm`` (default: the experimental arm), by
    default every 15 min to a day after the treatment period (at least to 96 h)."""
    doses = arm_doses(scenario, arm)
    if times_h is None:  # to a day after the treatment period, at least to 96 h
        last = max(96.0, treatment_end_h(doses) + 24.0)
        times_h = np.arange(0.0, last + 0.125, 0.25)
    times = np.asarray(times_h, dtype=float)
    res = simulate(PK_MODEL, dict(covariates or TYPICAL_PATIENT), doses, times, method="exact")
    res.attrs["doses"] = doses
    return res


def _auc(t: np.ndarray, c: np.ndarray, end: float) -> float:
    keep = t <= end + 1e-9
    return float(np.trapezoid(c[keep], t[keep]))


def exposure_metrics(timecourse: pd.DataFrame, treatment_h: float, endpoint_h: float) -> dict:
    """Esketamine Cmax and AUC over the treatment period (0 to the end of its last dose),
    esketamine at the endpoint time and propofol's mean concentration to the endpoint."""
    t = timecourse["time_h"].to_numpy()
    esk = timecourse["esketamine_ng_ml"].to_numpy()
    pro = timecourse["propofol_mg_l"].to_numpy()
    in_treatment = t <= treatment_h + 1e-9
    at_end = int(np.argmin(np.abs(t - endpoint_h)))
    return {
        "treatment_h": treatment_h,
        "esketamine_cmax_ng_ml": float(esk[in_treatment].max()),
        "esketamine_auc_treatment_ng_h_ml": _auc(t, esk, treatment_h),
        "esketamine_ng_ml_at_endpoint": float(esk[at_end]),
        "propofol_mean_mg_l_to_endpoint": _auc(t, pro, endpoint_h) / endpoint_h
        if endpoint_h > 0
        else float(pro[0]),
    }
