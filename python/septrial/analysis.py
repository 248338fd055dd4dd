"""The scenario's analysis plan applied to per-patient outcomes (statistics from septrial.stats)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from septrial.solver_failures import failure_table, raise_if_failures_explain
from septrial.spec.analysis import AnalysisItem
from septrial.stats import OUTCOME_KIND, analyse_arms, hierarchical, holm
from septrial.user_analyses import run_user_analysis

#: Stand-in for "worst possible" outcomes in rank analyses (beyond any simulated value).
_WORST = 1e300


def analysis_inputs(
    table: pd.DataFrame, item: AnalysisItem, scenario, death_rule: str
) -> tuple[str, Any, Any]:
    """(test, outcome, baseline) of one plan item for the rows of ``table``.

    Deaths before an endpoint's time leave it missing by design (``death_rule="missing"``: the
    analysis drops them) or give the worst rank (``"worst_rank"``: analysed with Mann-Whitney).
    """
    test = item.test
    endpoint = scenario.endpoint(item.endpoint)
    name = endpoint.name
    follow_up = table["followed_h"].to_numpy(dtype=float)
    kind = OUTCOME_KIND[test]
    if kind == "survival":
        if endpoint.kind == "event_by":
            death = table["death_rel_h"].to_numpy(dtype=float)
            time = np.minimum(death, follow_up)
            event = (death <= follow_up).astype(float)
        else:
            time = table[name].to_numpy(dtype=float)
            event = table[endpoint.engine().flag_name].to_numpy(dtype=float)
        keep = ~np.isnan(time)
        return test, pd.DataFrame({"time": time[keep], "event": event[keep]}), None
    y = table[name].to_numpy(dtype=float)
    base = table[item.baseline].to_numpy(dtype=float) if item.baseline else None
    if item.transform == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(y)
            base = None if base is None else np.log(base)
    if death_rule == "worst_rank" and kind != "binary":
        dead = np.isnan(y) & (table["death_rel_h"].to_numpy() <= follow_up)
        dead &= ~table["withdrawn"].to_numpy(dtype=bool)
        y = np.where(dead, _WORST if item.worse == "higher" else -_WORST, y)
        return "mann_whitney", y, None
    return test, y, base


def analyse(
    table: pd.DataFrame, scenario, control: str | None = None, treated: str | None = None
) -> pd.DataFrame:
    """One row per plan item: estimate, CI, p-value, and rejection after multiplicity control."""
    arms = scenario.arm_names
    control = control or arms[0]
    treated = treated or arms[1]
    plan = scenario.analysis
    death_rule = plan.death_rule
    alpha = plan.alpha
    failures = failure_table(table, (control, treated)).set_index("arm")
    rows = []
    for item in plan.plan:
        parts = {}
        for arm in (control, treated):
            parts[arm] = analysis_inputs(table[table["arm"] == arm], item, scenario, death_rule)
        test = parts[control][0]
        try:
            res = analyse_arms(
                test,
                parts[control][1],
                parts[treated][1],
                baseline_control=parts[control][2],
                baseline_treated=parts[treated][2],
            )
        except ValueError as exc:
            raise_if_failures_explain(exc, failures.reset_index(), item.name)
            raise
        rows.append(
            {
                "analysis": item.name,
                "role": item.role,
                "endpoint": item.endpoint,
                "test": test,
                "estimand": res.estimand,
                "estimate": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "p_value": res.p_value,
                "n_control": res.n_control,
                "n_treated": res.n_treated,
                "solver_failed_control": int(failures.loc[control, "n_solver_failed"]),
                "solver_failed_treated": int(failures.loc[treated, "n_solver_failed"]),
            }
        )
    for user in scenario.extensions.analyses:
        both = table[table["arm"].isin((control, treated))].reset_index(drop=True)
        rows.append(
            {
                "analysis": user.name,
                "role": user.role,
                "endpoint": None,
                "test": user.test,
                "estimand": "user",
                **run_user_analysis(user, both),
                "n_control": int((both["arm"] == control).sum()),
                "n_treated": int((both["arm"] == treated).sum()),
                "solver_failed_control": int(failures.loc[control, "n_solver_failed"]),
                "solver_failed_treated": int(failures.loc[treated, "n_solver_failed"]),
            }
        )
    out = pd.DataFrame(rows)
    method = plan.multiplicity
    p = out["p_value"].to_numpy()
    if method == "holm":
        out["reject"] = holm(p, alpha).reject
    elif method == "hierarchical":
        order = np.argsort(out["role"] != "primary", kind="stable")
        reject = np.zeros(len(p), dtype=bool)
        reject[order] = hierarchical(p[order], alpha).reject
        out["reject"] = reject
    else:
        out["reject"] = p < alpha
    out.attrs["multiplicity"] = method
    out.attrs["alpha"] = alpha
    return out
