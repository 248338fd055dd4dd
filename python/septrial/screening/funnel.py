"""The screening funnel: screened → eligible → consented → randomised.

Every criterion is evaluated for every patient (``report.failures``). Each patient who fails is
attributed to the **first** failing criterion in the funnel order (``report.first_failing``):

1. inclusion criteria judged at screening, in list order;
2. exclusion criteria judged at screening, in list order;
3. criteria judged at consent (inclusion first, then exclusion, in list order).

Consent comes last because it is asked only of patients who are otherwise eligible: a patient
who fails a screening criterion is never asked, so never counted as a consent refusal. Hence
``screened = Σ first-failing(screening) + eligible`` and
``eligible = Σ first-failing(consent) + consented``; both identities are checked on every report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .criteria import CriteriaSet, Criterion, load_criteria

__all__ = ["RecruitmentEstimate", "ScreeningReport", "funnel_order", "screen_table"]


def funnel_order(criteria: Iterable[Criterion]) -> list[Criterion]:
    """Criteria in funnel order: screening inclusions, screening exclusions, then consent ones."""
    items = list(criteria)
    rank = {("screening", "inclusion"): 0, ("screening", "exclusion"): 1}
    return sorted(
        items,
        key=lambda c: rank.get((c.stage, c.kind), 2 if c.kind == "inclusion" else 3),
    )


@dataclass(frozen=True)
class RecruitmentEstimate:
    """Expected time to enrol ``n_target`` patients.

    Enrolments form a Poisson process with rate ``admissions_per_month × enrol_fraction``, so the
    time to the n-th enrolment is Gamma(shape=n, scale=1/rate). The uncertainty of
    ``enrol_fraction`` itself (finite virtual cohort) is not included.
    """

    n_target: int
    admissions_per_month: float
    enrol_fraction: float
    rate_per_month: float
    expected_months: float
    median_months: float
    low_months: float
    high_months: float
    level: float
    expected_screened: float

    def __str__(self) -> str:
        pct = round(100 * self.level)
        return (
            f"{self.n_target} patients at {self.rate_per_month:.2f}/month "
            f"({self.admissions_per_month:g} screened/month × {self.enrol_fraction:.1%} enrolled): "
            f"median {self.median_months:.1f} months ({pct}% interval "
            f"{self.low_months:.1f}–{self.high_months:.1f}), "
            f"about {self.expected_screened:.0f} patients screened"
        )


def _pct(a: float, b: float) -> float:
    return 100.0 * a / b if b > 0 else math.nan


def _md_cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" if df[c].dtype == object else "---:" for c in df.columns) + "|"
    rows = [
        "| " + " | ".join(_md_cell(v) for v in row) + " |" for row in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


@dataclass(frozen=True, eq=False)
class ScreeningReport:
    """Result of :func:`screen_table`.

    Attributes
    ----------
    criteria : tuple of Criterion
        In funnel order.
    failures : pandas.DataFrame
        Bool, one column per criterion id (funnel order), one row per patient.
    first_failing : pandas.Series
        Criterion id of each patient's first failing criterion, or None.
    eligible, consented, randomised : pandas.Series of bool
        Per-patient masks.
    n_target : int or None
        Randomisation cap (the first ``n_target`` consented patients, in cohort order).
    """

    criteria: tuple[Criterion, ...]
    failures: pd.DataFrame
    first_failing: pd.Series
    eligible: pd.Series
    consented: pd.Series
    randomised: pd.Series
    n_target: int | None = None

    @property
    def n_screened(self) -> int:
        """Patients screened (cohort size)."""
        return len(self.failures)

    @property
    def n_eligible(self) -> int:
        """Patients passing every screening-stage criterion (consent not yet asked)."""
        return int(self.eligible.sum())

    @property
    def n_consented(self) -> int:
        """Eligible patients who also pass the consent-stage criteria (enrolled)."""
        return int(self.consented.sum())

    @property
    def n_randomised(self) -> int:
        """Consented patients randomised (capped at ``n_target``)."""
        return int(self.randomised.sum())

    @property
    def enrol_fraction(self) -> float:
        """Consented / screened (uncapped: the cap only stops recruitment)."""
        return self.n_consented / self.n_screened

    @property
    def screen_to_enrol(self) -> float:
        """Patients screened per patient enrolled (screened / consented; inf if none)."""
        return self.n_screened / self.n_consented if self.n_consented else math.inf

    def criteria_table(self) -> pd.DataFrame:
        """One row per criterion (funnel order): kind, stage, first- and all-failing counts."""
        counts = self.first_failing.value_counts()
        n = self.n_screened
        rows = []
        for c in self.criteria:
            n_all = int(self.failures[c.id].sum())
            n_first = int(counts.get(c.id, 0))
            rows.append(
                {
                    "criterion": c.id,
                    "kind": c.kind,
                    "judged at": c.judged_at,
                    "first failing": n_first,
                    "all failing": n_all,
                    "% of screened (first)": _pct(n_first, n),
                    "% of screened (all)": _pct(n_all, n),
                    "text": c.text,
                }
            )
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """The funnel: step, n, % of screened, % of previous step."""
        steps = [
            ("Screened", self.n_screened),
            ("Eligible", self.n_eligible),
            ("Consented", self.n_consented),
            ("Randomised", self.n_randomised),
        ]
        rows = []
        prev = None
        for name, n in steps:
            rows.append(
                {
                    "step": name,
                    "n": n,
                    "% of screened": _pct(n, self.n_screened),
                    "% of previous": math.nan if prev is None else _pct(n, prev),
                }
            )
            prev = n
        return pd.DataFrame(rows)

    def to_markdown(self, text_width: int = 70) -> str:
        """The funnel and the per-criterion counts as pipe tables (no ``tabulate`` needed)."""
        crit = self.criteria_table()
        crit["text"] = [
            t if len(t) <= text_width else t[: text_width - 1] + "…" for t in crit["text"]
        ]
        ratio = "∞" if math.isinf(self.screen_to_enrol) else f"{self.screen_to_enrol:.1f}"
        cap = f"; randomisation capped at {self.n_target}" if self.n_target is not None else ""
        return (
            f"{_markdown(self.table())}\n\n"
            f"Screened per enrolled patient: {ratio}{cap}.\n\n"
            f"{_markdown(crit)}\n"
        )

    def recruitment_time(
        self, n_target: int, admissions_per_month: float, level: float = 0.8
    ) -> RecruitmentEstimate:
        """Months needed to enrol ``n_target`` patients.

        Parameters
        ----------
        n_target : int
            Patients to enrol.
        admissions_per_month : float
            Patients screened per month (e.g. septic ICU admissions at the site).
        level : float
            Probability of the central interval, default 0.8 (10th to 90th percentile).

        Returns
        -------
        RecruitmentEstimate
        """
        from scipy import stats

        if isinstance(n_target, bool) or not isinstance(n_target, int | np.integer) or n_target < 1:
            raise ValueError(f"n_target: must be a positive integer, got {n_target!r}")
        if not isinstance(admissions_per_month, int | float) or not (
            math.isfinite(admissions_per_month) and admissions_per_month > 0
        ):
            raise ValueError(
                f"admissions_per_month: must be a positive number, got {admissions_per_month!r}"
            )
        if not 0 < level < 1:
            raise ValueError(f"level: must be between 0 and 1, got {level!r}")
        p = self.enrol_fraction
        if p == 0:
            raise ValueError(
                "no patient of the screened cohort was enrolled, so recruitment never ends; "
                "check the criteria (septrial.screening.lint_criteria) or screen a larger cohort"
            )
        rate = admissions_per_month * p
        dist = stats.gamma(a=int(n_target), scale=1.0 / rate)
        return RecruitmentEstimate(
            n_target=int(n_target),
            admissions_per_month=float(admissions_per_month),
            enrol_fraction=p,
            rate_per_month=rate,
            expected_months=float(dist.mean()),
            median_months=float(dist.median()),
            low_months=float(dist.ppf((1 - level) / 2)),
            high_months=float(dist.ppf((1 + level) / 2)),
            level=float(level),
            expected_screened=n_target / p,
        )

    def _check(self) -> None:
        counts = self.first_failing.value_counts()
        stage = {c.id: c.stage for c in self.criteria}
        first = {"screening": 0, "consent": 0}
        for k, v in counts.items():
            first[stage[str(k)]] += int(v)
        first_screen, first_consent = first["screening"], first["consent"]
        problems = []
        if first_screen + self.n_eligible != self.n_screened:
            problems.append(f"{first_screen} screen failures + {self.n_eligible} eligible")
        if first_consent + self.n_consented != self.n_eligible:
            problems.append(f"{first_consent} consent failures + {self.n_consented} consented")
        if int(self.first_failing.notna().sum()) + self.n_consented != self.n_screened:
            problems.append("first-failing counts + consented")
        if any(counts.get(c.id, 0) > self.failures[c.id].sum() for c in self.criteria):
            problems.append("a first-failing count above its all-failing count")
        if problems:
            raise RuntimeError(f"internal error: the screening funnel does not add up: {problems}")


def _as_criteria(criteria: Any) -> list[Criterion]:
    if isinstance(criteria, CriteriaSet):
        return list(criteria.criteria)
    if isinstance(criteria, Criterion):
        return [criteria]
    if isinstance(criteria, Mapping):
        return load_criteria(criteria)
    if isinstance(criteria, Sequence) and not isinstance(criteria, str):
        items = list(criteria)
        if items and all(isinstance(c, Mapping) for c in items):
            return load_criteria(items)
        for i, c in enumerate(items):
            if not isinstance(c, Criterion):
                raise ValueError(f"criteria[{i}]: must be a Criterion, got {type(c).__name__}")
        return items
    raise ValueError(
        f"criteria: must be a list of Criterion or a CriteriaSet, got {type(criteria).__name__}"
    )


def screen_table(
    cohort_df: pd.DataFrame,
    criteria: CriteriaSet | Sequence[Criterion] | Sequence[Mapping[str, Any]],
    *,
    n_target: int | None = None,
) -> ScreeningReport:
    """Screen a cohort table against eligibility criteria.

    Parameters
    ----------
    cohort_df : pandas.DataFrame
        One row per patient (see :func:`septrial.protocol.cohort_covariates`); row order is
        arrival order for the randomisation cap.
    criteria : CriteriaSet, list of Criterion, or list of dicts
        The trial's criteria.
    n_target : int, optional
        Randomise at most this many consented patients (the first in cohort order).

    Returns
    -------
    ScreeningReport
    """
    if not isinstance(cohort_df, pd.DataFrame):
        raise ValueError(f"cohort_df: must be a pandas DataFrame, got {type(cohort_df).__name__}")
    if len(cohort_df) == 0:
        raise ValueError("cohort_df: the cohort is empty; screen at least one patient")
    if n_target is not None and (
        isinstance(n_target, bool) or not isinstance(n_target, int | np.integer) or n_target < 1
    ):
        raise ValueError(f"n_target: must be a positive integer or None, got {n_target!r}")
    items = _as_criteria(criteria)
    seen: dict[str, int] = {}
    for i, c in enumerate(items):
        if c.id in seen:
            raise ValueError(
                f"criteria[{i}].id: duplicate id {c.id!r} (also criteria[{seen[c.id]}])"
            )
        seen[c.id] = i
    order = funnel_order(items)
    index = cohort_df.index
    failures = pd.DataFrame({c.id: c.fails(cohort_df) for c in order}, index=index, dtype=bool)
    ids = np.array([c.id for c in order] + [None], dtype=object)
    matrix = failures.to_numpy(dtype=bool)
    any_fail = matrix.any(axis=1) if matrix.shape[1] else np.zeros(len(index), bool)
    first_idx = np.where(any_fail, matrix.argmax(axis=1) if matrix.shape[1] else 0, len(order))
    first = pd.Series(ids[first_idx], index=index, dtype=object, name="first_failing")
    screen_cols = [c.id for c in order if c.stage == "screening"]
    consent_cols = [c.id for c in order if c.stage == "consent"]
    eligible = ~failures[screen_cols].any(axis=1) if screen_cols else pd.Series(True, index=index)
    consent_ok = (
        ~failures[consent_cols].any(axis=1) if consent_cols else pd.Series(True, index=index)
    )
    consented = eligible & consent_ok
    randomised = consented.copy()
    if n_target is not None:
        randomised &= consented.cumsum() <= int(n_target)
    report = ScreeningReport(
        criteria=tuple(order),
        failures=failures,
        first_failing=first,
        eligible=eligible.rename("eligible").astype(bool),
        consented=consented.rename("consented").astype(bool),
        randomised=randomised.rename("randomised").astype(bool),
        n_target=None if n_target is None else int(n_target),
    )
    report._check()
    return report
