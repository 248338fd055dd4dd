"""Statistics on trial endpoints: two-arm analyses, multiplicity, intervals and power.

Pure Python (numpy, scipy, statsmodels, lifelines); importable without the compiled engine.
"""

from septrial.stats.analyses import (
    ANALYSIS_TESTS,
    OUTCOME_KIND,
    TESTS,
    AnalysisResult,
    AnalysisTest,
    InsufficientDataError,
    analyse_arms,
    ancova,
    chi2,
    cox,
    fisher,
    get_test,
    logrank,
    mann_whitney,
    welch,
)
from septrial.stats.binomial import binomial_ci
from septrial.stats.multiplicity import MultiplicityResult, hierarchical, holm
from septrial.stats.pool_power import (
    SampleSizeResult,
    analytic_power_t,
    nested_sample_indices,
    power_from_pools,
    sample_size_for_power,
)

__all__ = [
    "ANALYSIS_TESTS",
    "OUTCOME_KIND",
    "AnalysisTest",
    "TESTS",
    "AnalysisResult",
    "InsufficientDataError",
    "MultiplicityResult",
    "SampleSizeResult",
    "analytic_power_t",
    "analyse_arms",
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
