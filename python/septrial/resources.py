"""Bundled data files: scenarios, populations, criteria and schemas.

Installed wheels carry them as ``septrial/data/<kind>/``; a source checkout (``PYTHONPATH=python``)
reads the repository's ``scenarios/`` folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def data_dirs(kind: str = "") -> list[Path]:
    """Folders that may hold bundled files of ``kind`` ("" for scenarios themselves)."""
    dirs: list[Path] = []
    try:
        packaged = resources.files("septrial").joinpath("data")
        if isinstance(packaged, Path):
            dirs.append(packaged / kind if kind else packaged)
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    dirs.append(_REPO_SCENARIOS / kind if kind else _REPO_SCENARIOS)
    return [d for d in dirs if d.is_dir()]


def bundled_path(kind: str, name: str) -> Path:
    """Path of ``<kind>/<name>.json``; FileNotFoundError listing what is available."""
    filename = name if name.endswith(".json") else f"{name}.json"
    for d in data_dirs(kind):
        if (d / filename).is_file():
            return d / filename
    available = sorted({p.stem for d in data_dirs(kind) for p in d.glob("*.json")})
    raise FileNotFoundError(
        f"no bundled {kind or 'scenario'} named {name!r}; "
        f"available: {', '.join(available) or '(none)'}"
    )


def available(kind: str = "") -> list[str]:
    return sorted({p.stem for d in data_dirs(kind) for p in d.glob("*.json")})
