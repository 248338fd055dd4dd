"""What a trial's analysis tests, by arm: the change from baseline (or its log ratio for
log-transformed endpoints), or the endpoint itself when there is no baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from septrial.plotting.timecourse import proper_name, unit_of


def analysed_values(patients: pd.DataFrame, item, endpoint) -> tuple[pd.Series, str]:
    """(values per patient, axis label) of one continuous plan item."""
    y = patients[item.endpoint].astype(float)
    observable = getattr(endpoint, "observable", None) or item.endpoint
    quantity = proper_name(observable.rsplit("_", 2)[0] if unit_of(observable) else observable)
    if observable.startswith("hla_dr"):
        quantity = proper_name("hla_dr")
    unit = unit_of(observable)
    t = getattr(endpoint, "time_h", None)
    at = f" at {t:g} h" if t is not None else ""
    if item.baseline:
        b = patients[item.baseline].astype(float)
        if item.transform == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(y / b), f"ln({quantity}{at} / baseline)"
        return y - b, f"{quantity}{at} - baseline ({unit})" if unit else f"{quantity} change"
    kind = getattr(endpoint, "kind", "value")
    if kind in ("change", "log_ratio"):
        what = "change" if kind == "change" else "ln ratio"
        return y, f"{quantity}: {what} from {endpoint.baseline_h:g} to {t:g} h"
    if item.transform == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(y), f"ln {quantity}{at}" + (f" ({unit})" if unit else "")
    return y, f"{quantity}{at}" + (f" ({unit})" if unit else "")


def plot_trial_endpoints(result, items, axes=None):
    """Box and points per arm of what each plan item tests; the estimate and p-value in the
    panel's title, the scenario and the arms in the figure's."""
    import matplotlib.pyplot as plt

    sc = result.scenario
    if axes is None:
        fig, axes = plt.subplots(
            1, len(items), figsize=(3.4 * len(items), 3.8), squeeze=False, layout="constrained"
        )
        axes = axes[0]
    arms = sc.arm_names[:2]
    labels = [sc.arm(a).name for a in arms]
    analysis = result.analysis.set_index("analysis")
    for ax, item in zip(axes, items, strict=False):
        values, ylabel = analysed_values(result.patients, item, sc.endpoint(item.endpoint))
        data = [
            values[(result.patients["arm"] == a).to_numpy()].replace([np.inf, -np.inf], np.nan)
            for a in arms
        ]
        data = [d.dropna().to_numpy() for d in data]
        ax.boxplot(data, showfliers=False)
        for i, d in enumerate(data):
            jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(d))
            ax.plot(np.full(len(d), i + 1.0) + jitter, d, ".", alpha=0.5, ms=4, color=f"C{i}")
        ax.set_xticks(range(1, len(arms) + 1), labels)
        if item.baseline:
            ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_ylabel(ylabel)
        row = analysis.loc[item.name] if item.name in analysis.index else None
        title = item.name
        if row is not None:
            title += f"\n{row['test']}: {row['estimate']:+.2f}, p = {row['p_value']:.2g}"
        ax.set_title(title, fontsize="small")
        ax.grid(axis="y", alpha=0.3)
    n = len(result.patients)
    axes[0].figure.suptitle(
        f"{sc.name}: {' vs '.join(labels)} ({n} randomised, seed {result.seed})",
        fontsize="medium",
    )
    return axes
