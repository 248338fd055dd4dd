"""Type stubs for the private extension ``septrial._core`` (cpp/bindings).

Hand-written; ``tests/test_stubs.py`` checks them against the compiled module (``mypy.stubtest``
plus the argument names and defaults in pybind11's signatures). Arrays are converted to
C-contiguous float64 (or the integer type named in the docs) on entry; results are float64 arrays
that own no copy of the engine's buffers.

Every long-running call releases the GIL; ``progress``, when given, is called on the calling
thread with the number of newly finished patients, and Ctrl-C raises ``KeyboardInterrupt``.
Bad input raises ``ValueError`` whose message starts with the offending field.
"""

from collections.abc import Callable, Sequence
from typing import Literal, TypedDict

import numpy as np
import numpy.typing as npt

_Float64Array = npt.NDArray[np.float64]
#: Per patient: (ok, reason, steps taken).
_Status = tuple[bool, str, int]
_Progress = Callable[[int], object] | None

class _ParameterInfo(TypedDict):
    name: str
    value: float
    unit: str
    doc: str
    lower: float
    upper: float
    lower_inclusive: bool
    upper_inclusive: bool

class _ObservableInfo(TypedDict):
    name: str
    unit: str
    doc: str

class _ComponentInfo(TypedDict):
    prefix: str
    module: str
    description: str
    covariates: list[str]

class _ModelInfo(TypedDict):
    name: str
    description: str
    parameters: list[_ParameterInfo]
    states: list[str]
    observables: list[_ObservableInfo]
    drugs: list[str]
    components: list[_ComponentInfo]

def models() -> list[str]:
    """Names of the registered models."""

def model_info(name: str) -> _ModelInfo:
    """Parameters (qualified names, values, units, ranges), states, observables and drugs."""

def covariate_names() -> list[str]:
    """Covariate columns in simulate()'s order: weight_kg, height_cm, age_y, sex, opioids."""

def simulate(
    model: str,
    covariates: npt.ArrayLike,
    params: npt.ArrayLike,
    regimens: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    regimen_of: npt.ArrayLike,
    times: npt.ArrayLike,
    initial_states: npt.ArrayLike | None,
    method: str,
    rtol: float,
    atol: float,
    max_steps: int,
    variability: bool,
    residual_error: bool,
    include_states: bool,
    seed: int,
    first_index: int,
    threads: int,
    progress: _Progress,
) -> tuple[_Float64Array, list[str], list[_Status]]:
    """Simulates n patients on one output grid.

    covariates: n x 5 (covariate_names(); sex and opioids 0/1); params: n x n_parameters in
    model_info()["parameters"] order; regimens: (boluses k x 4 [drug, time_h, amount, per_kg],
    infusions k x 5 [drug, start_h, end_h, rate, per_kg]); regimen_of: int64 index into regimens per
    patient; initial_states: n x n_states or None; method: "dopri5" or "rosenbrock4".
    Returns (values n x times x columns, columns = observables then states if asked, status).
    A failed patient gets NaN rows and ok = False; the call itself does not raise.
    """

def structural_parameters(
    model: str, covariates: npt.ArrayLike, params: npt.ArrayLike
) -> list[tuple[str, float]]:
    """Covariate-adjusted structural parameters (e.g. V1, CL) of one patient, no random effects."""

class PopulationSampler:
    """Baseline-covariate sampler built from a population spec (JSON text).

    Patient i's row depends only on (seed, first_index + i), whatever the thread count.
    """

    def __init__(self, spec_json: str) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> list[str]:
        """Column names, in spec order."""

    @property
    def kinds(self) -> list[Literal["continuous", "boolean", "categorical"]]:
        """Per column: 'continuous', 'boolean' (0/1) or 'categorical' (level index)."""

    @property
    def levels(self) -> dict[str, list[str]]:
        """Level names of the categorical columns: {column: [level for code 0, code 1, ...]}."""

    def sample(
        self,
        n: int,
        seed: int,
        first_index: int = 0,
        threads: int = 1,
        progress: _Progress = None,
    ) -> _Float64Array:
        """Patients first_index .. first_index + n - 1 as an (n, len(columns)) float64 array."""

class TrialEngine:
    """The virtual trial of one engine spec (JSON text): screening (phase A) and arms (phase B)."""

    def __init__(self, spec_json: str) -> None: ...
    @property
    def screen_columns(self) -> list[str]: ...
    @property
    def treat_columns(self) -> list[str]: ...
    @property
    def arm_names(self) -> list[str]: ...
    @property
    def observables(self) -> list[str]: ...
    @property
    def n_states(self) -> int: ...
    def screen(
        self,
        covariates: npt.ArrayLike,
        indices: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, list[_Status]]:
        """Phase A for patients `indices` (uint64) with covariates n x 5.

        Returns (values n x screen_columns, states at screening n x n_states, status).
        """

    def treat(
        self,
        covariates: npt.ArrayLike,
        indices: npt.ArrayLike,
        attempts: npt.ArrayLike,
        intubated: npt.ArrayLike,
        states: npt.ArrayLike,
        arm: int,
        override_names: Sequence[str],
        overrides: npt.ArrayLike,
        grid_h: npt.ArrayLike,
        seed: int,
        threads: int = 1,
        progress: _Progress = None,
    ) -> tuple[_Float64Array, _Float64Array, list[_Status]]:
        """Phase B in arm `arm` from the screening states (attempts int32, intubated int8).

        overrides: n x len(override_names) parameter values for the treatment phase; grid_h: times
        after randomisation for trajectories. Returns (values n x treat_columns, trajectories
        n x len(grid_h) x len(observables), status).
        """
