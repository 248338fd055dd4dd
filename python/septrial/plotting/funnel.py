"""CONSORT-style screening funnel and exclusion bar chart (matplotlib; never ``plt.show()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from septrial.screening import ScreeningReport

__all__ = ["plot_exclusions", "plot_funnel"]

_MAIN = {"boxstyle": "round,pad=0.5", "fc": "#e8f0fa", "ec": "#1f4e79", "lw": 1.2}
_SIDE = {"boxstyle": "round,pad=0.5", "fc": "#fbeee6", "ec": "#a0522d", "lw": 1.0}


def _new_axes(figsize: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _reasons(report: ScreeningReport, stage: str, top: int) -> tuple[int, list[str]]:
    counts = report.first_failing.value_counts()
    ids = [c.id for c in report.criteria if c.stage == stage]
    pairs = sorted(((int(counts.get(i, 0)), i) for i in ids), key=lambda p: -p[0])
    pairs = [p for p in pairs if p[0] > 0]
    total = sum(n for n, _ in pairs)
    lines = [f"{i}: {n}" for n, i in pairs[:top]]
    rest = pairs[top:]
    if rest:
        lines.append(f"other ({len(rest)} criteria): {sum(n for n, _ in rest)}")
    return total, lines


def plot_funnel(report: ScreeningReport, ax: Any = None, top: int = 5) -> Any:
    """Draw the CONSORT flow: screened → eligible → consented → randomised.

    Side boxes list why patients left at each step, by first failing criterion.

    Parameters
    ----------
    report : ScreeningReport
        From :func:`septrial.screening.screen_table`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made if omitted.
    top : int
        Number of exclusion reasons listed by name; the rest are summed as "other".

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes((8.5, 7.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    n0 = report.n_screened
    steps = [
        ("Screened", report.n_screened),
        ("Eligible", report.n_eligible),
        ("Consented", report.n_consented),
        ("Randomised", report.n_randomised),
    ]
    ys = np.linspace(0.92, 0.08, len(steps))
    x_main, x_side = 0.25, 0.70
    for (name, n), y in zip(steps, ys, strict=True):
        pct = f" ({100 * n / n0:.1f}%)" if name != "Screened" else ""
        ax.text(
            x_main, y, f"{name}\nn = {n}{pct}", ha="center", va="center", bbox=_MAIN, fontsize=10
        )
    for k in range(len(steps) - 1):
        ax.annotate(
            "",
            xy=(x_main, ys[k + 1] + 0.05),
            xytext=(x_main, ys[k] - 0.05),
            arrowprops={"arrowstyle": "-|>", "color": "#1f4e79"},
        )
    screen_total, screen_lines = _reasons(report, "screening", top)
    consent_total, consent_lines = _reasons(report, "consent", top)
    side = [
        (f"Excluded at screening: n = {screen_total}", screen_lines),
        (f"Consent not obtained: n = {consent_total}", consent_lines),
    ]
    capped = report.n_consented - report.n_randomised
    if capped > 0:
        side.append((f"Not randomised (target {report.n_target} reached): n = {capped}", []))
    for k, (title, lines) in enumerate(side):
        y = (ys[k] + ys[k + 1]) / 2
        ax.annotate(
            "",
            xy=(x_side - 0.2, y),
            xytext=(x_main, y),
            arrowprops={"arrowstyle": "-|>", "color": "#a0522d"},
        )
        body = "\n".join([title, *(f"  • {line}" for line in lines)])
        ax.text(x_side - 0.19, y, body, ha="left", va="center", bbox=_SIDE, fontsize=8.5)
    return ax


def plot_exclusions(report: ScreeningReport, ax: Any = None) -> Any:
    """Horizontal bars per criterion: patients failing it at all vs. as first failing criterion.

    Parameters
    ----------
    report : ScreeningReport
        From :func:`septrial.screening.screen_table`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    matplotlib Axes
    """
    table = report.criteria_table()
    if ax is None:
        ax = _new_axes((7.0, 0.35 * len(table) + 1.5))
    y = np.arange(len(table))
    h = 0.4
    ax.barh(y - h / 2, table["all failing"], height=h, color="#9ecae1", label="all failing")
    ax.barh(y + h / 2, table["first failing"], height=h, color="#08519c", label="first failing")
    ax.set_yticks(y, table["criterion"])
    ax.invert_yaxis()
    ax.set_xlabel(f"patients (of {report.n_screened} screened)")
    ax.set_title("Exclusions by criterion (funnel order)")
    ax.legend(loc="lower right", frameon=False)
    return ax
