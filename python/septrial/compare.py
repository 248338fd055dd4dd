"""``septrial.compare``: dosing or design variants of a trial side by side on the same virtual
patients: typical-patient exposure, the primary analysis' effect and the power curve of each."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from septrial.analysis import analyse
from septrial.arguments import (
    MAX_PER_ARM,
    MAX_SEED,
    MAX_THREADS,
    optional_whole,
    real_map,
    whole,
    whole_list,
)
from septrial.cohort.frame import Frame
from septrial.exposure import exposure_metrics, treated_arm, treatment_end_h, typical_timecourse
from septrial.outcomes import treat
from septrial.plotting.compare import plot_compare
from septrial.power_curves import build_pools, power_curve
from septrial.provenance import scenario_sha256
from septrial.study import Study, as_study

__all__ = ["CompareResult", "compare", "pool_key"]

#: Specification fields that decide who is enrolled and how: variants equal in all of them can
#: be followed on the same enrolled patients.
POOL_FIELDS = (
    "model",
    "population",
    "population_overrides",
    "criteria",
    "params",
    "covariates",
    "journey",
    "background",
    "solver",
)


def pool_key(study: Study) -> str:
    """The part of a scenario that decides its enrolled patients, as canonical JSON."""
    data = study.scenario.to_dict()
    key = {k: data.get(k) for k in POOL_FIELDS}
    key["extra_criteria"] = [repr(c) for c in study.scenario.extra_criteria]
    return json.dumps(key, sort_keys=True, default=str)


@dataclass
class CompareResult:
    """Variants side by side: ``table`` (one row per variant), the typical patient's
    ``timecourses``, the long ``power`` table and whether the variants shared their patients."""

    table: pd.DataFrame
    timecourses: pd.DataFrame
    power: pd.DataFrame
    shared_pools: bool
    note: str
    seed: int
    n_trials: int
    pool_per_arm: int
    analysis: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def variants(self) -> list[str]:
        """The variants' labels, in the order given."""
        return list(self.table["variant"])

    def __repr__(self) -> str:
        cols = ["variant", "esketamine_cmax_ng_ml", "estimate", "n_80", "n_90"]
        lines = [
            f"CompareResult({len(self.table)} variants, {self.analysis}, seed {self.seed}, "
            f"pool {self.pool_per_arm}/arm, {self.n_trials} trials; {self.note})"
        ]
        for _, r in self.table[cols].iterrows():
            lines.append(
                f"  {r['variant']}: Cmax {r['esketamine_cmax_ng_ml']:.1f} ng/mL, "
                f"estimate {r['estimate']:+.3f}, n for 80 % {r['n_80']:g}, 90 % {r['n_90']:g}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (
            f"<b>{len(self.table)} variants compared</b> ({self.analysis}, seed {self.seed}, "
            f"pool {self.pool_per_arm} per arm, {self.n_trials} trials): {self.note}"
            + self.table.to_html(index=False, float_format=lambda x: f"{x:.4g}")
        )

    def plot(self, axes=None):
        """One figure: concentrations of the typical patient, the primary effect with its CI,
        and the power curves with their intervals, the 80/90 % lines and the n reaching them."""
        return plot_compare(self, axes=axes)


def _labels(studies: list[Study], labels: Sequence[str] | None) -> list[str]:
    out = list(labels) if labels is not None else [s.name for s in studies]
    if len(out) != len(studies):
        raise ValueError(f"labels: {len(out)} given for {len(studies)} variants")
    if len(set(out)) != len(out):
        dup = next(x for x in out if out.count(x) > 1)
        raise ValueError(f"labels: {dup!r} given twice; pass labels=[...] to tell them apart")
    return out


def _effect(study: Study, pools, seed, params, threads) -> dict[str, Any]:
    """The primary analysis on everyone in the pools (a large trial of the pools' size)."""
    sc = study.scenario
    names = sc.arm_names[:2]
    arms = (Frame.concat(list(pools.control)), Frame.concat(list(pools.treated)))
    parts = [
        treat(study, frame, name, seed, threads=threads, overrides=params)
        for frame, name in zip(arms, names, strict=True)
    ]
    res = analyse(pd.concat(parts, ignore_index=True), sc, *names)
    primary = res[res["role"] == "primary"].iloc[0]
    item = next(p for p in sc.analysis.plan if p.name == primary["analysis"])
    row = {k: primary[k] for k in ("analysis", "test", "estimand", "estimate", "ci_low", "ci_high")}
    row["ratio"] = float(np.exp(primary["estimate"])) if item.transform == "log" else np.nan
    row["n_analysed"] = int(primary["n_control"] + primary["n_treated"])
    return row


def _sample_size(pc, target: float) -> dict[str, Any]:
    if pc.table["n_per_arm"].nunique() < 2:
        return {"n_per_arm_ceil": np.nan, "note": "sample size needs two or more n per arm"}
    return dict(pc.sample_size(target).iloc[0])


def compare(
    variants: Sequence[str | Any],
    n_per_arm: Sequence[int] | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    *,
    labels: Sequence[str] | None = None,
    pool_per_arm: int | None = None,
    params: Mapping[str, float] | None = None,
    times_h: Any = None,
    threads: int | None = None,
    progress: bool = False,
) -> CompareResult:
    """Compare dosing or design variants (scenario names, paths, Scenarios or Studies).

    When every variant shares the first one's model, population, criteria, covariates, journey
    and background, one pair of per-arm pools (:func:`septrial.power_curves.build_pools`) is
    enrolled for all of them and each variant follows the same patients in its own arms, so the
    differences are the regimen's, not new patients'; otherwise each variant enrols its own
    pools and ``note`` says so. For each variant: esketamine Cmax and AUC of a typical 70 kg
    patient over the treatment period, the primary analysis on everyone in the pools (estimate
    and CI), the power curve at ``n_per_arm`` (default: the first scenario's) and the n per arm
    for 80 % and 90 % power. ``params`` overrides model parameters in every arm's treatment
    phase (e.g. a drug-effect assumption).
    """
    if isinstance(variants, str) or not len(variants):
        raise ValueError("variants: give a list of scenario names, paths, Scenarios or Studies")
    studies = [as_study(v) for v in variants]
    names = _labels(studies, labels)
    first = studies[0].scenario
    pool = whole("pool_per_arm", pool_per_arm or first.power.pool_per_arm, 2, MAX_PER_ARM)
    n_trials = whole(
        "n_trials", n_trials if n_trials is not None else first.power.n_trials, 1, 10**9
    )
    n_list = sorted(
        set(whole_list("n_per_arm", n_per_arm or first.power.n_per_arm, 2, MAX_PER_ARM))
    )
    seed = whole("seed", seed, 0, MAX_SEED)
    threads = optional_whole("threads", threads, 1, MAX_THREADS)
    params = real_map("params", params, arrays=False)
    key = pool_key(studies[0])
    differ = [s.name for s in studies[1:] if pool_key(s) != key]
    shared = not differ
    if shared:
        common = build_pools(studies[0], pool, seed, threads=threads, progress=progress)
        note = (
            f"same {2 * pool * common.n_pools} enrolled patients for every variant "
            f"({common.n_pools} pools of {first.name})"
        )
    else:
        note = (
            f"separate patients: {', '.join(differ)} enrol differently from {first.name} "
            f"(population, criteria, journey or background differ)"
        )
    rows, courses, curves = [], [], []
    for label, study in zip(names, studies, strict=True):
        sc = study.scenario
        pools = common if shared else build_pools(study, pool, seed, threads=threads)
        tc = typical_timecourse(sc, times_h=times_h)
        item = sc.analysis.primary[0]
        endpoint_h = float(getattr(sc.endpoint(item.endpoint), "time_h", 72.0))
        pk = exposure_metrics(
            tc, treatment_end_h(tc.attrs["doses"], default=endpoint_h), endpoint_h
        )
        effect = _effect(study, pools, seed, params, threads)
        pc = power_curve(
            study,
            n_list,
            n_trials,
            seed,
            "pool",
            analyses="primary",
            params=params,
            pools=pools,
            threads=threads,
        )
        need = {t: _sample_size(pc, t) for t in (0.8, 0.9)}
        powers = {
            f"power_n{int(n)}": p
            for n, p in zip(pc.table["n_per_arm"], pc.table["power"], strict=True)
        }
        rows.append(
            {
                "variant": label,
                "scenario": sc.name,
                "arm": treated_arm(sc).label or treated_arm(sc).name,
                **pk,
                "endpoint_h": endpoint_h,
                **effect,
                **powers,
                "n_80": need[0.8]["n_per_arm_ceil"],
                "n_90": need[0.9]["n_per_arm_ceil"],
                "sample_size_note": "; ".join(
                    dict.fromkeys(str(need[t]["note"]) for t in (0.8, 0.9) if need[t]["note"])
                ),
                "scenario_sha256": scenario_sha256(sc),
            }
        )
        tc = tc.drop(
            columns=[c for c in tc.columns if c.startswith("norketamine")], errors="ignore"
        )
        courses.append(tc.assign(variant=label))
        curves.append(pc.table.assign(variant=label))
    table = pd.DataFrame(rows)
    meta = {
        "scenarios": [s.name for s in studies],
        "scenario_sha256": [scenario_sha256(s.scenario) for s in studies],
        "seed": seed,
        "method": "pool",
        "sizes": {"pool_per_arm": pool, "n_trials": n_trials, "n_per_arm": n_list},
        "shared_pools": shared,
        "note": note,
        "arms": first.arm_names[:2],
    }
    table.attrs["septrial"] = meta
    return CompareResult(
        table,
        pd.concat(courses, ignore_index=True),
        pd.concat(curves, ignore_index=True),
        shared,
        note,
        seed,
        n_trials,
        pool,
        str(table["analysis"].iloc[0]),
        meta,
    )


class _CallableModule(types.ModuleType):
    """``septrial.compare`` may be bound to this module (when it was imported before the
    function was asked for): calling it calls :func:`compare`."""

    def __call__(self, *args: Any, **kwargs: Any) -> CompareResult:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
