"""The analysis plan: which endpoint each analysis tests, how, and how multiplicity is handled.
Test names come from the one registry, :data:`septrial.stats.ANALYSIS_TESTS`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from septrial.spec.base import SpecModel, did_you_mean
from septrial.stats.analyses import ANALYSIS_TESTS, DEFAULT_ALPHA


class AnalysisItem(SpecModel):
    """One analysis of the plan."""

    name: str = Field(min_length=1)
    """Name of the analysis (row of the analysis table)."""
    role: Literal["primary", "secondary"] = "secondary"
    """Primary or secondary analysis."""
    endpoint: str
    """Name of the endpoint it tests."""
    baseline: str | None = None
    """Name of a ``value`` endpoint used as covariate (ANCOVA)."""
    transform: Literal["none", "log"] = "none"
    """Transform applied to the endpoint (and its baseline) before testing."""
    test: str = Field(json_schema_extra={"enum": sorted(ANALYSIS_TESTS)})
    """Registered analysis (``septrial.stats.ANALYSIS_TESTS``)."""
    worse: Literal["higher", "lower"] = "higher"
    """Direction of a worse outcome (deaths get the worst rank under ``worst_rank``)."""
    doc: str = ""
    """Free text."""

    @field_validator("test")
    @classmethod
    def _registered(cls, v: str) -> str:
        if v not in ANALYSIS_TESTS:
            raise ValueError(
                f"unknown test {v!r}{did_you_mean(v, ANALYSIS_TESTS)}; "
                f"allowed: {', '.join(ANALYSIS_TESTS)}"
            )
        return v


class AnalysisPlan(SpecModel):
    """Significance level, multiplicity control, handling of deaths, and the analyses."""

    assumed: bool = False
    """True when the plan is an assumption (not the registered one)."""
    note: str = ""
    """Free text: where the plan comes from."""
    alpha: float = Field(DEFAULT_ALPHA, gt=0, lt=1)
    """Two-sided significance level."""
    multiplicity: Literal["holm", "hierarchical", "none"] = "holm"
    """Holm over all analyses, fixed-sequence (primary first, then in order), or none."""
    death_rule: Literal["missing", "worst_rank"] = "missing"
    """Patients dead before an endpoint: missing by design, or the worst rank (Mann-Whitney)."""
    plan: list[AnalysisItem] = Field(min_length=1)
    """The analyses, primary first."""

    @property
    def primary(self) -> list[AnalysisItem]:
        return [p for p in self.plan if p.role == "primary"] or self.plan[:1]
