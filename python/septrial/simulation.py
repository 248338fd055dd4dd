"""``septrial.simulate``: one patient or a cohort, any model of the library."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from septrial import _core
from septrial.covariates import covariate_columns
from septrial.library import model_info, models
from septrial.memory import check_fits, row_bytes
from septrial.progress import progress_callback
from septrial.spec.base import spec_error
from septrial.spec.design import Solver
from septrial.spec.dosing import Bolus, Dose, Infusion, PumpLog

__all__ = ["simulate", "models", "model_info", "individual_parameters", "SimulationError"]


class SimulationError(RuntimeError):
    """The solver failed for a single-patient simulation (the reason is in the message)."""


def failure_reasons(status: Mapping[str, Any]) -> dict[int, str]:
    """{patient position: solver reason} for the failed patients of an engine status table.

    The engine returns per-patient status as arrays (``ok``, ``steps``, ``rhs_evals`` and
    ``reason``, an index into the distinct ``reasons``), never one Python object per patient.
    """
    failed = np.flatnonzero(~np.asarray(status["ok"], dtype=bool))
    reasons = status["reasons"]
    return {int(i): reasons[int(k)] for i, k in zip(failed, status["reason"][failed], strict=True)}


def _times(times_h: Any) -> np.ndarray:
    if times_h is None:
        raise ValueError("times_h: required, e.g. numpy.linspace(0, 72, 145)")
    try:
        t = np.asarray(times_h, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"times_h: must be a list of numbers (h), got {times_h!r}") from None
    if t.size == 0:
        raise ValueError("times_h: must contain at least one time")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times_h: times must be finite and >= 0 h")
    if np.any(np.diff(t) < 0):
        i = int(np.argmax(np.diff(t) < 0)) + 1
        raise ValueError(
            f"times_h[{i}]: times must be in increasing order ({t[i - 1]} then {t[i]})"
        )
    return t


def _regimen(doses, info) -> _core.Regimen:
    """The engine's regimen; drugs become indices into the model's drug list."""
    boluses, infusions = [], []
    for i, dose in enumerate(doses):
        if not isinstance(dose, Bolus | Infusion | PumpLog):
            raise ValueError(
                f"doses[{i}]: expected septrial.Bolus, Infusion or PumpLog, "
                f"got {type(dose).__name__}"
            )
        drug = info.drug_index(dose.drug, f"doses[{i}].drug")
        if isinstance(dose, Bolus):
            b = _core.BolusDose()
            b.drug, b.time_h, b.amount, b.per_kg = drug, dose.time_h, dose.dose, dose.per_kg
            boluses.append(b)
            continue
        for part in dose.infusions():
            f = _core.InfusionDose()
            f.drug, f.start_h, f.end_h = drug, part.start_h, part.end_h
            f.rate, f.per_kg = part.rate, part.per_kg
            infusions.append(f)
    r = _core.Regimen()
    r.boluses, r.infusions = boluses, infusions
    return r


def _solver(method: str, rtol: float, atol: float, max_steps: int) -> _core.SolverOptions:
    data = {"method": method, "rtol": rtol, "atol": atol, "max_steps": max_steps}
    data = {k: v.item() if isinstance(v, np.generic) else v for k, v in data.items()}
    try:
        return Solver(**data).engine()
    except ValidationError as exc:
        raise spec_error(exc, data, root="") from None


def whole_number(field: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in [low, high]; ValueError naming ``field`` otherwise (numbers that
    would overflow the engine's integers included)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{field}: must be a whole number in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{field}: must be in [{low}, {high}], got {value!r}")
    return int(value)


#: Seeds are unsigned 64-bit integers in the engine; thread counts are capped to a sane maximum.
MAX_SEED = 2**64 - 1
MAX_THREADS = 1024


def _initial_states(info, initial_state: Mapping[str, float] | None, n: int) -> np.ndarray | None:
    if not initial_state:
        return None
    # Start from the model's own initial state, then override the named entries.
    params = info.parameter_matrix(None, 1)
    cov, _ = covariate_columns({})
    values, columns, _ = _core.simulate(
        info.name,
        cov,
        params,
        [_core.Regimen()],
        np.zeros(1, dtype=np.int64),
        np.zeros(1),
        None,
        _solver("dopri5", 1e-6, 1e-9, 10),
        False,
        False,
        True,
        0,
        0,
        1,
        None,
    )
    x0 = np.asarray(values[0, 0, len(info.observables) :], dtype=float)
    for name, value in initial_state.items():
        if name not in info.states:
            raise ValueError(
                f"initial_state.{name}: unknown state of model {info.name!r}; "
                f"allowed: {', '.join(info.states)}"
            )
        v = float(value)
        if not (np.isfinite(v) and v >= 0):
            raise ValueError(f"initial_state.{name}: must be finite and >= 0, got {value!r}")
        x0[info.states.index(name)] = v
    return np.tile(x0, (n, 1))


_DEFAULT = Solver()


def simulate(
    model: str = "esketamine_otto2021",
    covariates: Mapping[str, Any] | pd.DataFrame | None = None,
    doses: Iterable[Dose] | Sequence[Iterable[Dose]] = (),
    times_h: Any = None,
    params: Mapping[str, Any] | None = None,
    variability: bool = False,
    seed: int = 0,
    *,
    residual_error: bool = False,
    initial_state: Mapping[str, float] | None = None,
    states: bool = False,
    method: str = _DEFAULT.method,
    rtol: float = _DEFAULT.rtol,
    atol: float = _DEFAULT.atol,
    max_steps: int = _DEFAULT.max_steps,
    threads: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulate one patient (``covariates`` a dict) or a cohort (a DataFrame, one row per patient).

    Parameters
    ----------
    model : a name from :func:`septrial.models`.
    covariates : ``weight_kg``, ``height_cm``, ``age_y``, ``sex`` ("male"/"female"), ``opioids``.
    doses : Bolus/Infusion/PumpLog objects, shared by all patients; or, for a cohort, one list per
        patient.
    times_h : increasing output times in hours (the solver does not step to them: dense output).
    params : parameter values by name (scalars, or one value per patient for a cohort).
    variability : sample between-patient random effects from (seed, patient index).
    residual_error : add the model's residual (assay) error to the observables.
    initial_state : starting amounts by state name (default: the model's own initial state).
    states : also return the state columns.
    method, rtol, atol, max_steps : solver: "dopri5" (explicit, adaptive), "rosenbrock4" (stiff),
        or "exact" (closed-form solution between dose changes; linear PK models only, where it is
        both faster and free of step-size error).
    threads : worker threads for a cohort (default: all cores); results do not depend on it.
    progress : show a tqdm progress bar.

    Returns
    -------
    DataFrame with ``time_h`` and one column per observable (e.g. ``esketamine_ng_ml``); a cohort
    adds a ``patient`` column. ``df.attrs["failures"]`` maps failed patients to the solver's
    reason (their rows are NaN); a single patient's failure raises :class:`SimulationError`.
    """
    info = model_info(model)
    solver = _solver(method, rtol, atol, max_steps)
    cov, cohort = covariate_columns(covariates)
    n = len(cov["weight_kg"])
    t = _times(times_h)
    check_fits("times_h", f"{len(t)} times x {n} patients", n * len(t), row_bytes(info), "rows")
    if any(np.ndim(v) > 0 for v in (params or {}).values()):
        param_matrix = info.parameter_matrix(params, n)
    else:  # every patient has the same values: one row, broadcast (no n x P copy)
        param_matrix = np.broadcast_to(info.parameter_matrix(params, 1), (n, len(info.parameters)))

    doses = list(doses)
    per_patient = cohort and len(doses) == n and all(not hasattr(d, "drug") for d in doses)
    if per_patient:
        regimens = [_regimen(d, info) for d in doses]
        regimen_of = np.arange(n, dtype=np.int64)
    else:
        regimens = [_regimen(doses, info)]
        regimen_of = np.zeros(n, dtype=np.int64)

    n_threads = whole_number(
        "threads", threads if threads is not None else (os.cpu_count() or 1), 1, MAX_THREADS
    )
    seed = whole_number("seed", seed, 0, MAX_SEED)
    with progress_callback(progress and cohort, n, f"simulate {model}") as callback:
        values, columns, status = _core.simulate(
            info.name,
            cov,
            param_matrix,
            regimens,
            regimen_of,
            t,
            _initial_states(info, initial_state, n),
            solver,
            bool(variability),
            bool(residual_error),
            bool(states),
            int(seed),
            0,
            int(n_threads),
            callback,
        )
    if not cohort and not status["ok"][0]:
        raise SimulationError(f"simulation of model {model!r} failed: {failure_reasons(status)[0]}")

    # One column per array, none copied: the engine's rows are viewed column by column (pandas'
    # insert would copy each new column, and consolidating the float columns would copy them all).
    rows = values.reshape(n * len(t), len(columns))
    patient, time_h = _core.long_index(n, t)
    data = {"patient": patient} if cohort else {}
    data["time_h"] = time_h
    data.update({name: rows[:, j] for j, name in enumerate(columns)})
    frame = pd.DataFrame(data, copy=False)
    # Only failures are listed (pandas copies attrs on every operation: keep them small).
    frame.attrs["failures"] = failure_reasons(status)
    frame.attrs["steps"] = status["steps"]  # accepted solver steps per patient (int64)
    frame.attrs["model"] = info.name
    return frame


def individual_parameters(
    model: str, covariates: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """Covariate-adjusted structural parameters (no random effects), e.g. V1 (L) and CL (L/h)."""
    info = model_info(model)
    cov, cohort = covariate_columns(covariates)
    if cohort:
        raise ValueError("covariates: individual_parameters takes one patient (a dict)")
    matrix = info.parameter_matrix(params, 1)
    return dict(_core.structural_parameters(info.name, cov, matrix[0]))
