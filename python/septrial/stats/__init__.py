"""Statistics on trial endpoints: two-arm analyses, multiplicity, intervals and power.

Pure Python (numpy, scipy, statsmodels, lifelines); importable without the compiled engine.
"""

from septrial.stats.analyses import (
    OUTCOME_KIND,
    TESTS,
    AnalysisResult,
    InsufficientDataError,
    analyze_arms,
    ancova,
    chi2,
    cox,
    fisher,
    get_test,
    logrank,
    mann_whitney,
    welch,
)
from septrial.stats.intervals import binomial_ci
from septrial.stats.multiplicity import MultiplicityResult, hierarchical, holm
from septrial.stats.power import (
    SampleSizeResult,
    analytic_power_t,
    nested_sample_indices,
    power_from_pools,
    sample_size_for_power,
)

__all__ = [
    "OUTCOME_KIND",
    "TESTS",
    "AnalysisResult",
    "InsufficientDataError",
    "MultiplicityResult",
    "SampleSizeResult",
    "analytic_power_t",
    "analyze_arms",
    "ancova",
    "binomial_ci",
    "chi2",
    "cox",
    "fisher",
    "get_test",
    "hierarchical",
    "holm",
    "logrank",
    "mann_whitney",
    "nested_sample_indices",
    "power_from_pools",
    "sample_size_for_power",
    "welch",
]
