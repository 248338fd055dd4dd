"""Virtual septic ICU populations: baseline covariates drawn by the C++ engine from a spec.

A population spec lists named covariates in sampling order; each is a distribution given as data
(``normal``, ``lognormal``, ``truncated``, ``categorical``, ``bernoulli``, ``bernoulli_logit``,
``bernoulli_mixture``, ``empirical``, ``empirical_cdf``, ``stratified``, ``derived``), may depend on
covariates listed before it, and may carry ``only_if`` conditions. An optional ``correlation``
block joins continuous covariates through a Gaussian copula. The format is defined by the models
of :mod:`septrial.spec.population` (``scenarios/schema/population.schema.json`` is generated from
them); the engine receives the validated spec as structs (:mod:`septrial.cohort.engine_spec`).

>>> pop = Population.load("septic_icu_china")
>>> df = pop.sample(10_000, seed=1)                      # one row per patient
>>> pop.with_overrides({"consent.p": 0.9}).sample(10_000, seed=1)

Patient ``i`` depends only on ``(seed, first_index + i)``: any thread count, any chunking and a
Dask run give the same rows. Each covariate uses its own draw, so an override of one covariate
leaves the other columns of the same patients unchanged (common random numbers).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from septrial import _core
from septrial.cohort.engine_spec import to_engine
from septrial.progress import progress_callback
from septrial.spec.base import SpecError
from septrial.spec.population import PopulationSpec, loads, validate_population

__all__ = ["Population", "available_populations"]

_REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _bundled_path(kind: str, name: str) -> Path:
    """Path of a bundled JSON file ``<name>.json`` of the given kind (``populations``, ``schema``).

    Looks in the installed package data ``septrial/data/<kind>/`` first, then in the source
    checkout's ``scenarios/<kind>/``.
    """
    filename = f"{name}.json"
    candidates: list[Path] = []
    try:
        packaged = resources.files("septrial").joinpath("data").joinpath(kind).joinpath(filename)
        if isinstance(packaged, Path):
            candidates.append(packaged)
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    candidates.append(_REPO_SCENARIOS / kind / filename)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no bundled {kind} file {filename!r}; looked in "
        + ", ".join(str(p.parent) for p in candidates)
    )


def _bundled_dirs(kind: str) -> list[Path]:
    dirs: list[Path] = []
    try:
        packaged = resources.files("septrial").joinpath("data").joinpath(kind)
        if isinstance(packaged, Path) and packaged.is_dir():
            dirs.append(packaged)
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    repo = _REPO_SCENARIOS / kind
    if repo.is_dir():
        dirs.append(repo)
    return dirs


def available_populations() -> list[str]:
    """Names of the bundled population specs (for :meth:`Population.load`)."""
    return sorted({p.stem for d in _bundled_dirs("populations") for p in d.glob("*.json")})


def _default_threads() -> int:
    return max(1, os.cpu_count() or 1)


class Population:
    """A population spec plus its validated C++ sampler.

    Build one with :meth:`load` (bundled name or path), :meth:`from_dict` or :meth:`from_json`.
    The spec is validated once, by :func:`septrial.spec.population.validate_population`; a bad
    spec raises :class:`ValueError` (:class:`SpecError`) whose message starts with the JSON path.
    """

    def __init__(self, spec: Mapping[str, Any], *, source: str | None = None) -> None:
        if not isinstance(spec, Mapping):
            raise ValueError(f"$: population spec must be a JSON object, got {type(spec).__name__}")
        self._spec: dict[str, Any] = copy.deepcopy(dict(spec))
        self.source = source
        self._sampler: Any = None
        self._model: PopulationSpec | None = None
        self.validate()

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str]) -> Population:
        """Load a bundled population by name (e.g. ``"septic_icu_china"``) or a JSON file."""
        path = Path(name_or_path)
        if not (path.suffix == ".json" or path.exists()):
            try:
                path = _bundled_path("populations", str(name_or_path))
            except FileNotFoundError:
                raise ValueError(
                    f"unknown population {str(name_or_path)!r}; bundled: "
                    f"{', '.join(available_populations()) or '(none)'}; "
                    "or give a path to a .json file"
                ) from None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read population spec {str(path)!r}: {exc}") from exc
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> Population:
        """A Population from JSON text (NaN and Infinity literals are refused)."""
        try:
            data = loads(text)
        except SpecError as exc:
            raise SpecError(
                f"{exc}" + (f"\n  in population spec {source}" if source else "")
            ) from None
        return cls(data, source=source)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Population:
        """A Population from JSON-like data (validated; the mapping is copied)."""
        return cls(spec)

    # -- introspection ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The spec's name ("" if it has none)."""
        return str(self._spec.get("name", ""))

    @property
    def spec(self) -> dict[str, Any]:
        """A deep copy of the spec (edit it and build a new Population, or use with_overrides)."""
        return copy.deepcopy(self._spec)

    @property
    def covariates(self) -> dict[str, dict[str, Any]]:
        """Covariate name -> its spec entry, in sampling order (copies)."""
        return {c["name"]: copy.deepcopy(c) for c in self._spec["covariates"]}

    @property
    def columns(self) -> list[str]:
        """Column names of :meth:`sample_array`, in spec order."""
        return list(self._sampler.columns)

    @property
    def kinds(self) -> dict[str, str]:
        """Column -> 'continuous', 'boolean' or 'categorical'."""
        return dict(zip(self._sampler.columns, self._sampler.kinds, strict=True))

    @property
    def levels(self) -> dict[str, list[str]]:
        """Categorical column -> level names (index = code in :meth:`sample_array`)."""
        return {k: list(v) for k, v in self._sampler.levels.items()}

    @property
    def assumptions(self) -> dict[str, str]:
        """Override key -> source text of every value flagged ``"assumption": true``."""
        out: dict[str, str] = {}
        for c in self._spec["covariates"]:
            self._collect_assumptions(c, c["name"], out)
        cor = self._spec.get("correlation")
        if isinstance(cor, dict) and cor.get("assumption") is True:
            out["correlation"] = str(cor.get("source", ""))
        return out

    @classmethod
    def _collect_assumptions(cls, node: Any, key: str, out: dict[str, str]) -> None:
        if isinstance(node, dict):
            if node.get("assumption") is True:
                out[key] = str(node.get("source", ""))
            for k, v in node.items():
                if isinstance(v, dict | list):
                    cls._collect_assumptions(v, f"{key}.{k}", out)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                cls._collect_assumptions(v, f"{key}.{i}", out)

    def __repr__(self) -> str:
        return f"Population({self.name!r}, {len(self._spec['covariates'])} covariates)"

    # -- validation ---------------------------------------------------------------------------

    def validate(self) -> Population:
        """Validate the spec (the models of :mod:`septrial.spec.population`) and build the C++
        sampler from it. Raises :class:`SpecError` (a ValueError) naming the JSON path."""
        try:
            self._model = validate_population(self._spec)
            self._sampler = _core.PopulationSampler(to_engine(self._model))
        except SpecError as exc:
            if self.source:
                raise SpecError(f"{exc}\n  in population spec {self.source}") from None
            raise
        return self

    @property
    def model(self) -> PopulationSpec:
        """The validated spec as a typed, immutable model (defaults filled in)."""
        assert self._model is not None
        return self._model

    # -- sampling -----------------------------------------------------------------------------

    def sample_array(
        self,
        n: int,
        seed: int,
        *,
        first_index: int = 0,
        threads: int | None = None,
        progress: bool | Callable[[int], Any] = False,
    ) -> np.ndarray:
        """Covariates as a float64 array of shape (n, len(columns)), without copies: booleans
        0/1, categorical columns as level codes (see :attr:`levels`; sex 0 = female, 1 = male)."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n: must be >= 0, got {n}")
        if int(seed) < 0 or int(first_index) < 0:
            raise ValueError("seed and first_index must be >= 0")
        threads = _default_threads() if threads is None else int(threads)
        if threads < 1:
            raise ValueError(f"threads: must be >= 1, got {threads}")
        if callable(progress):
            return self._sampler.sample(n, int(seed), int(first_index), threads, progress)
        desc = f"sample {self.name or 'population'}"
        with progress_callback(bool(progress), n, desc) as callback:
            return self._sampler.sample(n, int(seed), int(first_index), threads, callback)

    def sample(
        self,
        n: int,
        seed: int,
        *,
        first_index: int = 0,
        threads: int | None = None,
        progress: bool | Callable[[int], Any] = False,
    ) -> pd.DataFrame:
        """Sample ``n`` patients: a DataFrame with a ``patient`` column (first_index ..
        first_index + n - 1) and one column per covariate; booleans as bool, categorical
        covariates (``sex``) as their level strings ("male"/"female"). ``threads`` defaults to
        the number of CPUs; ``progress=True`` shows a tqdm bar."""
        arr = self.sample_array(
            n, seed, first_index=first_index, threads=threads, progress=progress
        )
        return self.to_frame(arr, first_index=first_index)

    def to_frame(self, arr: np.ndarray, *, first_index: int = 0) -> pd.DataFrame:
        """Convert a :meth:`sample_array` result into the DataFrame that :meth:`sample` returns."""
        levels = self._sampler.levels
        data: dict[str, Any] = {
            "patient": np.arange(first_index, first_index + arr.shape[0], dtype=np.int64)
        }
        for j, (name, kind) in enumerate(
            zip(self._sampler.columns, self._sampler.kinds, strict=True)
        ):
            col = arr[:, j]
            if kind == "boolean":
                data[name] = col != 0.0
            elif kind == "categorical":
                data[name] = np.asarray(levels[name], dtype=object)[col.astype(np.intp)]
            else:
                data[name] = col
        return pd.DataFrame(data)

    # -- changing assumptions -----------------------------------------------------------------

    def with_overrides(
        self, overrides: Mapping[str, Any] | None = None, /, **kwargs: Any
    ) -> Population:
        """A new Population with some values replaced; the original is unchanged.

        Keys are dotted paths starting with a covariate name (or ``correlation``):

        - ``"consent.p": 0.9``, ``"age_y.base.mean": 55``, ``"height_cm.strata.male.sd": 7``
        - list items by index or, for ``terms``/``if``, by the ``covariate`` they refer to:
          ``"ckd.terms.age_y.odds_ratio": 2.0`` (same as ``"ckd.terms.0.odds_ratio"``)
        - ``"transplant": {...}`` replaces a whole entry (its name is kept)
        - ``"correlation.age_y.height_cm": -0.2`` sets both symmetric matrix entries;
          ``"correlation": None`` removes the copula
        - a value of ``None`` deletes that key (e.g. ``"chemo_radio_30d.only_if": None``)

        Keyword arguments are shorthands for whole-entry keys without dots.
        The result is validated at once (ValueError naming the path on a bad value).
        """
        items = dict(overrides or {})
        items.update(kwargs)
        spec = copy.deepcopy(self._spec)
        for key, value in items.items():
            self._apply_override(spec, key, copy.deepcopy(value))
        return Population(spec, source=self.source)

    @staticmethod
    def _apply_override(spec: dict[str, Any], key: str, value: Any) -> None:
        parts = key.split(".")
        head, rest = parts[0], parts[1:]
        if head == "correlation":
            if not rest:
                if value is None:
                    spec.pop("correlation", None)
                else:
                    spec["correlation"] = value
                return
            cor = spec.get("correlation")
            if len(rest) == 2 and isinstance(cor, dict) and rest[0] in cor.get("variables", []):
                names = cor["variables"]
                if rest[1] not in names:
                    raise ValueError(
                        f"override {key!r}: {rest[1]!r} is not in correlation.variables"
                    )
                i, j = names.index(rest[0]), names.index(rest[1])
                cor["matrix"][i][j] = value
                cor["matrix"][j][i] = value
                return
            if not isinstance(cor, dict):
                raise ValueError(f"override {key!r}: the spec has no correlation block")
            node: Any = cor
        elif head in ("name", "description") and not rest:
            spec[head] = value
            return
        else:
            names = [c.get("name") for c in spec["covariates"]]
            if head not in names:
                raise ValueError(
                    f"override {key!r}: unknown covariate {head!r}; known: {', '.join(names)}"
                )
            index = names.index(head)
            if not rest:
                if not isinstance(value, dict):
                    raise ValueError(f"override {key!r}: a whole covariate entry must be an object")
                spec["covariates"][index] = {"name": head, **value}
                return
            node = spec["covariates"][index]
        for depth, part in enumerate(rest):
            last = depth == len(rest) - 1
            where = ".".join([head, *rest[: depth + 1]])
            if isinstance(node, list):
                idx = Population._list_index(node, part, key)
                if last:
                    if value is None:
                        del node[idx]
                    else:
                        node[idx] = value
                    return
                node = node[idx]
            elif isinstance(node, dict):
                if last:
                    if value is None:
                        node.pop(part, None)
                    else:
                        node[part] = value
                    return
                if part not in node:
                    raise ValueError(f"override {key!r}: {where!r} does not exist")
                node = node[part]
            else:
                raise ValueError(f"override {key!r}: {where!r} is not an object or list")

    @staticmethod
    def _list_index(node: list[Any], part: str, key: str) -> int:
        if part.lstrip("-").isdigit():
            idx = int(part)
            if not -len(node) <= idx < len(node):
                raise ValueError(f"override {key!r}: index {idx} out of range (length {len(node)})")
            return idx
        matches = [
            i
            for i, item in enumerate(node)
            if isinstance(item, dict) and item.get("covariate") == part
        ]
        if len(matches) != 1:
            raise ValueError(
                f"override {key!r}: {part!r} must be a list index "
                "or the covariate of exactly one item"
            )
        return matches[0]

    def calibrate_prevalence(
        self,
        covariate: str,
        prevalence: float | None = None,
        *,
        n: int = 200_000,
        seed: int = 0,
        threads: int | None = None,
    ) -> Population:
        """A new Population whose ``bernoulli_logit`` covariate has ``p_ref`` chosen so that the
        cohort prevalence equals ``prevalence`` (default: the entry's ``target_prevalence``).

        The earlier covariates are sampled once (n patients); the expected prevalence
        mean(expit(logit(p_ref) + offset_i)) over them is then solved for p_ref exactly.
        """
        from scipy.optimize import brentq
        from scipy.special import expit

        entries = self._spec["covariates"]
        names = [c["name"] for c in entries]
        if covariate not in names:
            raise ValueError(f"unknown covariate {covariate!r}; known: {', '.join(names)}")
        idx = names.index(covariate)
        entry = entries[idx]
        if entry.get("type") != "bernoulli_logit":
            raise ValueError(
                f"{covariate!r} is {entry.get('type')!r}; calibration needs bernoulli_logit"
            )
        target = entry.get("target_prevalence") if prevalence is None else prevalence
        if target is None or not 0.0 < float(target) < 1.0:
            raise ValueError(f"prevalence must be in (0, 1), got {target!r}")
        # Earlier covariates plus an indicator of where the entry applies (only_if).
        probe = {"name": covariate, "type": "bernoulli", "p": 1.0}
        if "only_if" in entry:
            probe["only_if"] = entry["only_if"]
        prefix = copy.deepcopy(self._spec)
        prefix["covariates"] = copy.deepcopy(entries[:idx]) + [probe]
        cor = prefix.get("correlation")
        if cor is not None:
            keep = [i for i, v in enumerate(cor["variables"]) if v in names[:idx]]
            if len(keep) >= 2:
                cor["variables"] = [cor["variables"][i] for i in keep]
                cor["matrix"] = [[cor["matrix"][i][j] for j in keep] for i in keep]
            else:
                del prefix["correlation"]
        pre = Population(prefix, source=self.source)
        arr = pre.sample_array(n, seed, threads=threads)
        applies = arr[:, idx] != 0.0
        offset = np.zeros(n)
        for term in entry.get("terms", []):
            x = arr[:, names.index(term["covariate"])]
            log_or = math.log(term["odds_ratio"])
            if "equals" in term:
                levels = pre.levels.get(term["covariate"])
                level = levels.index(term["equals"]) if levels else float(term["equals"])
                offset += log_or * (x == level)
            else:
                offset += log_or * (x - term.get("ref", 0.0)) / term.get("per", 1.0)
        fixed = float(np.mean(~applies)) * (1.0 if entry.get("otherwise") is True else 0.0)
        offset = offset[applies]
        share = float(np.mean(applies))

        def gap(a: float) -> float:
            return share * float(np.mean(expit(a + offset))) + fixed - float(target)

        if gap(-40.0) > 0 or gap(40.0) < 0:
            raise ValueError(f"prevalence {target} is not reachable for {covariate!r}")
        a = brentq(gap, -40.0, 40.0, xtol=1e-12)
        return self.with_overrides({f"{covariate}.p_ref": float(expit(a))})

    # -- output -------------------------------------------------------------------------------

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """The spec as JSON text; also written to ``path`` if given."""
        text = json.dumps(self._spec, indent=indent, ensure_ascii=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self._spec, "source": self.source}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._spec = state["spec"]
        self.source = state["source"]
        self._sampler = None
        self.validate()
