"""Consistency checks for a trial's eligibility criteria.

:func:`lint_criteria` returns a list of :class:`LintFinding` (severity ``error``, ``warning`` or
``info``). Codes:

=========================  ========  ==========================================================
code                       severity  meaning
=========================  ========  ==========================================================
``duplicate_id``           error     two criteria share an id
``unknown_covariate``      error     a rule reads a covariate the population does not have
``type_error``             error     a rule misuses a covariate's type (e.g. ``sex > 3``)
``empty_inclusion``        error     an inclusion (or all of them together) admits no value
``excludes_all_values``    error     an exclusion excludes every possible value of a covariate
``no_admissible_values``   error     inclusion and exclusion together admit no value
``boundary_conflict``      warning   a value is admitted by an inclusion and excluded by an
                                     exclusion only at isolated points (e.g. age exactly 60)
``header_mismatch``        warning   the registry header's age range differs from the criteria
``excludes_everyone``      error     on the cohort: a criterion fails every patient
``excludes_almost_all``    warning   on the cohort: a criterion fails more than the threshold
``excludes_nobody``        warning   on the cohort: a criterion fails no more than the threshold
``nobody_eligible``        error     on the cohort: no patient passes all criteria
``evaluation_error``       error     on the cohort: a rule cannot be evaluated
``exclusion_narrows``      info      an exclusion removes part of an inclusion's range
``redundant_exclusion``    info      an exclusion only removes values no inclusion admits
``not_checked``            info      a callable rule cannot be checked statically
=========================  ========  ==========================================================
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .criteria import Covariates, CriteriaSet, Criterion, parse_covariates
from .expr import Interval, IntervalSet, compile_rule
from .funnel import _as_criteria

__all__ = ["LintFinding", "lint_criteria"]

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class LintFinding:
    """One problem found by :func:`lint_criteria`."""

    severity: str
    code: str
    message: str
    criteria: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.severity}: [{self.code}] {self.message}"


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def _points_text(var: str, s: IntervalSet) -> str:
    pts = [iv.lo for iv in s.intervals]
    if len(pts) == 1:
        return f"{var} = {str(s)[1:-1]}"
    return f"{var} ∈ {s}"


def _hull_text(var: str, s: IntervalSet) -> str:
    return f"{var} ∈ {s}"


def _domain(spec: Mapping[str, Any]) -> IntervalSet:
    return IntervalSet([Interval(spec["min"], spec["max"], True, True)])


def _check_thresholds(lo: float, hi: float) -> None:
    if not 0 <= lo < hi <= 1:
        raise ValueError(
            "min_fail_fraction and max_fail_fraction: need 0 <= min < max <= 1, "
            f"got {lo!r} and {hi!r}"
        )


def _static(items: list[Criterion], spec: dict[str, dict[str, Any]]) -> tuple[list, list]:
    """Per-criterion checks; returns (findings, criteria whose rules are valid strings)."""
    out: list[LintFinding] = []
    valid: list[Criterion] = []
    counts = Counter(c.id for c in items)
    for cid, k in counts.items():
        if k > 1:
            pos = [str(i) for i, c in enumerate(items) if c.id == cid]
            out.append(
                LintFinding(
                    "error",
                    "duplicate_id",
                    f"id '{cid}' is used by {k} criteria (positions {', '.join(pos)}); "
                    "ids must be unique",
                    (cid,),
                )
            )
    types = {k: v["type"] for k, v in spec.items()}
    for c in items:
        if c.compiled is None:
            out.append(
                LintFinding(
                    "info",
                    "not_checked",
                    f"criterion '{c.id}' is a Python callable; its covariates and bounds "
                    "are not checked statically",
                    (c.id,),
                )
            )
            continue
        unknown = sorted(v for v in c.compiled.variables if v not in spec)
        if unknown:
            parts = []
            for v in unknown:
                close = difflib.get_close_matches(v, spec, n=1)
                parts.append(f"'{v}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            out.append(
                LintFinding(
                    "error",
                    "unknown_covariate",
                    f"criterion '{c.id}' ({c.where}, rule {c.rule!r}) uses {', '.join(parts)}, "
                    f"which the population does not have; known covariates: "
                    f"{', '.join(sorted(spec))}",
                    (c.id,),
                )
            )
            continue
        try:
            compile_rule(c.compiled.text, allowed=spec, types=types, where=f"{c.where}.rule")
        except ValueError as exc:
            out.append(LintFinding("error", "type_error", str(exc), (c.id,)))
            continue
        valid.append(c)
    return out, valid


def _bounds(
    valid: list[Criterion], spec: dict[str, dict[str, Any]]
) -> tuple[list[LintFinding], dict[str, tuple[IntervalSet, list[str], list[str], IntervalSet]]]:
    """Interval checks; returns findings and var -> (inclusion set, inc ids, exc ids, effective)."""
    out: list[LintFinding] = []
    inc: dict[str, list[tuple[str, IntervalSet]]] = {}
    exc: dict[str, list[tuple[Criterion, IntervalSet]]] = {}
    for c in valid:
        assert c.compiled is not None
        if c.kind == "inclusion":
            for var, s in c.compiled.necessary_bounds().items():
                dom = _domain(spec[var])
                if (s & dom).is_empty():
                    where = "" if dom == IntervalSet.everything() else f" within its range {dom}"
                    out.append(
                        LintFinding(
                            "error",
                            "empty_inclusion",
                            f"inclusion '{c.id}' can never be met: rule {c.rule!r} needs "
                            f"{_hull_text(var, s)}, which holds for no value{where}",
                            (c.id,),
                        )
                    )
                inc.setdefault(var, []).append((c.id, s))
        else:
            for var, e in c.compiled.sufficient_bounds().items():
                dom = _domain(spec[var])
                if (dom - e).is_empty():
                    out.append(
                        LintFinding(
                            "error",
                            "excludes_all_values",
                            f"exclusion '{c.id}' excludes every value of {var}: rule {c.rule!r} "
                            f"is true for all of {dom}",
                            (c.id,),
                        )
                    )
                exc.setdefault(var, []).append((c, e))
    summary: dict[str, tuple[IntervalSet, list[str], list[str], IntervalSet]] = {}
    for var in sorted(set(inc) | set(exc)):
        dom = _domain(spec[var])
        inc_ids = [cid for cid, _ in inc.get(var, [])]
        acc = dom
        for _, s in inc.get(var, []):
            acc = acc & s
        if (
            len(inc_ids) > 1
            and acc.is_empty()
            and all(not (s & dom).is_empty() for _, s in inc[var])
        ):
            out.append(
                LintFinding(
                    "error",
                    "empty_inclusion",
                    f"inclusion criteria {_ids(inc_ids)} together admit no value of {var}",
                    tuple(inc_ids),
                )
            )
        excluded = IntervalSet()
        for _, e in exc.get(var, []):
            excluded = excluded | e
        effective = acc - excluded
        exc_ids = [c.id for c, _ in exc.get(var, [])]
        summary[var] = (acc, inc_ids, exc_ids, effective)
        if not acc.is_empty() and effective.is_empty() and exc_ids:
            out.append(
                LintFinding(
                    "error",
                    "no_admissible_values",
                    f"no value of {var} passes: inclusion {_ids(inc_ids) or '(none)'} admits "
                    f"{_hull_text(var, acc)}, but exclusion {_ids(exc_ids)} excludes all of it",
                    tuple(inc_ids + exc_ids),
                )
            )
            continue
        if not inc_ids:
            continue
        for c, e in exc.get(var, []):
            overlap = acc & e
            if len(inc[var]) == 1:
                rule_inc = _hull_text(var, inc[var][0][1])
            else:
                rule_inc = "; ".join(f"'{cid}': {_hull_text(var, s)}" for cid, s in inc[var])
            if overlap.is_empty():
                if c.compiled is not None and c.compiled.exact_bounds() is not None:
                    out.append(
                        LintFinding(
                            "info",
                            "redundant_exclusion",
                            f"exclusion '{c.id}' ({c.rule!r}) only excludes values of {var} that "
                            f"no inclusion admits ({rule_inc})",
                            (*inc_ids, c.id),
                        )
                    )
            elif overlap.is_points():
                out.append(
                    LintFinding(
                        "warning",
                        "boundary_conflict",
                        f"{_points_text(var, overlap)} is admitted by inclusion {_ids(inc_ids)} "
                        f"({rule_inc}) but excluded by exclusion '{c.id}' ({c.rule!r}, i.e. "
                        f"{_hull_text(var, e)}): the criteria disagree at the boundary. "
                        f"Effective range: {var} ∈ {effective}",
                        (*inc_ids, c.id),
                    )
                )
            else:
                out.append(
                    LintFinding(
                        "info",
                        "exclusion_narrows",
                        f"exclusion '{c.id}' removes {_hull_text(var, overlap)} from the range "
                        f"admitted by inclusion {_ids(inc_ids)} ({_hull_text(var, acc)}); "
                        f"effective range: {var} ∈ {effective}",
                        (*inc_ids, c.id),
                    )
                )
    return out, summary


def _header(
    age_header: tuple[float, float],
    summary: dict[str, tuple[IntervalSet, list[str], list[str], IntervalSet]],
    age_variable: str,
) -> list[LintFinding]:
    lo, hi = (float(x) for x in age_header)
    header = IntervalSet.closed(lo, hi)
    text = f"{lo:g}–{hi:g}"
    if age_variable not in summary:
        return [
            LintFinding(
                "warning",
                "header_mismatch",
                f"the registry header gives ages {text}, but no criterion bounds {age_variable}",
            )
        ]
    _, inc_ids, exc_ids, eff = summary[age_variable]
    if eff == header:
        return []
    ids = tuple(inc_ids + exc_ids)
    if eff.is_empty():
        detail = "the criteria admit no age at all"
    else:
        first, last = eff.intervals[0], eff.intervals[-1]
        parts = []
        if (first.lo, first.lo_closed) != (lo, True):
            excl = "" if first.lo_closed else " (exclusive)"
            parts.append(f"lower limit {lo:g} in the header, {first.lo:g}{excl} in the criteria")
        if (last.hi, last.hi_closed) != (hi, True):
            excl = "" if last.hi_closed else " (exclusive)"
            parts.append(f"upper limit {hi:g} in the header, {last.hi:g}{excl} in the criteria")
        if len(eff.intervals) > 1:
            parts.append("the criteria leave gaps inside the range")
        detail = "; ".join(parts)
    return [
        LintFinding(
            "warning",
            "header_mismatch",
            f"the registry header gives ages {text} ({age_variable} ∈ {header}), but the criteria "
            f"{_ids(ids)} admit {age_variable} ∈ {eff}: {detail}",
            ids,
        )
    ]


def _cohort(
    items: list[Criterion], cohort_df: pd.DataFrame, lo: float, hi: float
) -> list[LintFinding]:
    n = len(cohort_df)
    if n == 0:
        return [LintFinding("error", "evaluation_error", "the cohort is empty; nothing to check")]
    out: list[LintFinding] = []
    fails: dict[str, np.ndarray] = {}
    for c in items:
        try:
            f = c.fails(cohort_df)
        except ValueError as exc:
            out.append(LintFinding("error", "evaluation_error", str(exc), (c.id,)))
            continue
        fails[c.id] = f
        k = int(f.sum())
        frac = k / n
        share = f"{k}/{n} patients ({frac:.1%})"
        if k == n:
            out.append(
                LintFinding(
                    "error",
                    "excludes_everyone",
                    f"{c.kind} '{c.id}' ({c.text!r}) excludes every patient of the cohort: {share}",
                    (c.id,),
                )
            )
        elif frac > hi:
            out.append(
                LintFinding(
                    "warning",
                    "excludes_almost_all",
                    f"{c.kind} '{c.id}' excludes {share}, more than {hi:.0%} of the cohort",
                    (c.id,),
                )
            )
        elif frac <= lo:
            limit = "" if lo == 0 else f", at most {lo:.1%}"
            out.append(
                LintFinding(
                    "warning",
                    "excludes_nobody",
                    f"{c.kind} '{c.id}' excludes {share} of this cohort{limit}; is the rule right, "
                    "or is the condition just rare?",
                    (c.id,),
                )
            )
    if fails and len(fails) == len(items):
        passed = ~np.logical_or.reduce(list(fails.values()))
        if not passed.any():
            out.append(
                LintFinding(
                    "error",
                    "nobody_eligible",
                    f"no patient of the cohort ({n}) passes all criteria together",
                    tuple(fails),
                )
            )
    return out


def lint_criteria(
    criteria: CriteriaSet | Sequence[Criterion] | Sequence[Mapping[str, Any]],
    covariates: Covariates | Any,
    cohort_df: pd.DataFrame | None = None,
    age_header: tuple[float, float] | Mapping[str, float] | None = None,
    *,
    age_variable: str = "age_y",
    max_fail_fraction: float = 0.95,
    min_fail_fraction: float = 0.0,
) -> list[LintFinding]:
    """Check criteria for contradictions, unknown covariates and useless thresholds.

    Parameters
    ----------
    criteria : CriteriaSet, list of Criterion, or list of dicts
        The criteria. A CriteriaSet also supplies ``age_header`` when not given.
    covariates : mapping, collection of str, or a Population
        What the population has: names, ``name -> type`` or ``name -> {"type", "min", "max"}``
        (e.g. :func:`septrial.protocol.cohort_covariates`); see
        :func:`septrial.screening.parse_covariates`.
    cohort_df : pandas.DataFrame, optional
        A cohort on which to measure how many patients each criterion excludes.
    age_header : (min, max) or {"min", "max"}, optional
        The registry header's age range (e.g. 18–80), compared with what the criteria admit.
    age_variable : str
        The age covariate, default ``age_y``.
    max_fail_fraction, min_fail_fraction : float
        A criterion failing more than ``max_fail_fraction`` (default 95 %) of the cohort, or at
        most ``min_fail_fraction`` (default 0, i.e. nobody), is flagged.

    Returns
    -------
    list of LintFinding
        Errors first, then warnings, then infos.
    """
    _check_thresholds(min_fail_fraction, max_fail_fraction)
    if age_header is None and isinstance(criteria, CriteriaSet):
        age_header = criteria.age_header
    if isinstance(age_header, Mapping):
        age_header = (age_header["min"], age_header["max"])
    items = _as_criteria(criteria)
    spec = parse_covariates(covariates)
    findings, valid = _static(items, spec)
    bound_findings, summary = _bounds(valid, spec)
    findings += bound_findings
    if age_header is not None:
        findings += _header(age_header, summary, age_variable)
    if cohort_df is not None:
        findings += _cohort(items, cohort_df, min_fail_fraction, max_fail_fraction)
    return sorted(findings, key=lambda f: _SEVERITY_RANK[f.severity])
