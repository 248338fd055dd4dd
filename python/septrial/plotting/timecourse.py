"""Concentration and biomarker time courses from ``septrial.simulate`` results."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Units shown on axes, from the unit suffix of a column name.
_UNITS = {
    "_ng_ml": "ng/mL",
    "_mg_l": "mg/L",
    "_pg_ml": "pg/mL",
    "_abc": "AB/C",
    "_per_ul": "cells/µL",
}


#: Proper names of the quantities (column prefixes).
NAMES = {
    "il6": "IL-6",
    "tnf": "TNF-α",
    "il10": "IL-10",
    "hla_dr": "mHLA-DR",
    "cd4": "CD4+ T cells",
    "sofa": "SOFA score",
    "esketamine": "esketamine",
    "norketamine": "norketamine",
    "propofol": "propofol",
}


def proper_name(quantity: str) -> str:
    """``il6`` -> ``IL-6``, ``hla_dr`` -> ``mHLA-DR``; unknown names with spaces."""
    return NAMES.get(quantity, quantity.replace("_", " "))


def unit_of(column: str) -> str:
    """The unit of an observable column from its suffix (``il6_pg_ml`` -> ``pg/mL``)."""
    return next((u for suffix, u in _UNITS.items() if column.endswith(suffix)), "")


def _label(column: str) -> str:
    for suffix, unit in _UNITS.items():
        if column.endswith(suffix):
            return f"{proper_name(column[: -len(suffix)])} ({unit})"
    return proper_name(column)


def plot_timecourse(
    result: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    by: str | None = None,
    quantiles: tuple[float, float] = (0.05, 0.95),
    max_lines: int = 30,
    log: Sequence[str] = (),
    axes=None,
):
    """One panel per column against ``time_h``.

    A cohort (a ``patient`` column) is drawn as individual lines when small, otherwise as the
    median with a ``quantiles`` band; ``by`` splits it into groups (e.g. ``"arm"``) drawn in
    different colours. Columns listed in ``log`` get a log y-axis.
    """
    import matplotlib.pyplot as plt

    skip = {"time_h", "patient", by}
    columns = list(columns) if columns else [c for c in result.columns if c not in skip]
    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise ValueError(
            f"columns: {missing[0]!r} is not in the result; have {list(result.columns)}"
        )
    if axes is None:
        _, axes = plt.subplots(
            len(columns), 1, figsize=(7, 2.6 * len(columns)), sharex=True, squeeze=False
        )
        axes = axes[:, 0]
    axes = np.atleast_1d(axes)
    groups = [(None, result)] if by is None else list(result.groupby(by, sort=True))
    for ax, column in zip(axes, columns, strict=False):
        for i, (name, frame) in enumerate(groups):
            colour = f"C{i}"
            label = None if name is None else str(name)
            if "patient" not in frame or frame["patient"].nunique() == 1:
                ax.plot(frame["time_h"], frame[column], color=colour, label=label)
            elif frame["patient"].nunique() <= max_lines:
                for j, (_, p) in enumerate(frame.groupby("patient")):
                    ax.plot(
                        p["time_h"],
                        p[column],
                        color=colour,
                        alpha=0.6,
                        lw=0.8,
                        label=label if j == 0 else None,
                    )
            else:
                stats = frame.groupby("time_h")[column].quantile([quantiles[0], 0.5, quantiles[1]])
                stats = stats.unstack()
                ax.fill_between(
                    stats.index, stats[quantiles[0]], stats[quantiles[1]], color=colour, alpha=0.25
                )
                ax.plot(stats.index, stats[0.5], color=colour, label=label)
        ax.set_ylabel(_label(column))
        if column in log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if by is not None:
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1].set_xlabel("time (h)")
    return axes


#: The short public name: ``septrial.plot(result)``.
plot = plot_timecourse
