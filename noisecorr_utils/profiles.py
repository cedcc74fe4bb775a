"""Profiles: ``params/<name>.yaml`` as overrides of each chapter's ``Params``.

    defaults:            # given to every chapter whose Params has the key
      n_train: 2000
    notebooks:
      02_noise_mnist:    # this chapter only (the notebook's stem)
        n_seeds_cheap: 3

A key under ``defaults`` that no chapter has, or a key under a notebook that its chapter lacks,
is an error before anything runs; so is a value its chapter's ``Params.check`` refuses. The
chapters' own defaults are the full profile.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

import yaml

from .paths import ROOT

PARAMS = Path(os.environ.get("NOISECORR_PARAMS_DIR") or ROOT / "params")
NOTEBOOKS = ROOT / "notebooks"


class ProfileError(ValueError):
    """A profile that cannot be used. The message is one line, naming the file and the key."""


def names() -> list[str]:
    return sorted(p.stem for p in PARAMS.glob("*.yaml"))


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def chapter_of(notebook: str) -> str:
    """The study package of a notebook: ``02_noise_mnist`` -> ``noise_mnist``."""
    return notebook.split("_", 1)[1]


def study(chapter: str):
    """The study package ``noisecorr_utils.studies.<chapter>``."""
    return importlib.import_module(f"noisecorr_utils.studies.{chapter}")


def load(profile: str) -> dict:
    """The YAML of a profile, its shape checked: ``{"defaults": {...}, "notebooks": {stem: {...}}}``."""
    if profile not in names():
        where = PARAMS.relative_to(ROOT) if PARAMS.is_relative_to(ROOT) else PARAMS
        raise ProfileError(f"unknown profile {profile!r}; allowed: {', '.join(names())} (files in {where}/)")
    path = PARAMS / f"{profile}.yaml"
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ProfileError(f"{path.name}{where}: not valid YAML ({problem})") from None
    if not isinstance(spec, dict):
        raise ProfileError(f"{path.name}: must be a mapping with 'defaults' and 'notebooks', not {type(spec).__name__}")
    unknown = set(spec) - {"defaults", "notebooks"}
    if unknown:
        raise ProfileError(f"{path.name}: unknown section {sorted(unknown)[0]!r}; allowed: defaults, notebooks")
    defaults, per_notebook = spec.get("defaults") or {}, spec.get("notebooks") or {}
    for section, value in (("defaults", defaults), ("notebooks", per_notebook)):
        if not isinstance(value, dict):
            raise ProfileError(f"{path.name}: '{section}' must be a mapping of names to values, not {type(value).__name__}")
    stems = [nb.stem for nb in notebooks()]
    for name, values in per_notebook.items():
        if name not in stems:
            raise ProfileError(f"{path.name}: notebook {name!r} does not exist; allowed: {', '.join(stems)}")
        if values is not None and not isinstance(values, dict):
            raise ProfileError(f"{path.name}: notebooks.{name} must be a mapping of parameters to values, "
                               f"not {type(values).__name__}")
    return {"defaults": defaults, "notebooks": per_notebook, "file": path.name}


def resolve(profile: str) -> dict[str, dict]:
    """The parameters of every notebook under ``profile`` (only the values the profile sets, and
    ``profile`` itself), each checked by building its chapter's ``Params``."""
    spec = load(profile)
    fields = {nb.stem: study(chapter_of(nb.stem)).Params.names() for nb in notebooks()}
    for key in spec["defaults"]:
        if not any(key in f for f in fields.values()):
            raise ProfileError(f"{spec['file']}: default {key!r} is a parameter of no chapter")
    out = {}
    for stem, allowed in fields.items():
        values = {"profile": profile, **{k: v for k, v in spec["defaults"].items() if k in allowed},
                  **(spec["notebooks"].get(stem) or {})}
        for key in values:
            if key not in allowed:
                raise ProfileError(f"{spec['file']}: {key!r} is not a parameter of {stem}.ipynb; allowed: "
                                   f"{', '.join(allowed)}")
        try:
            study(chapter_of(stem)).Params(**values)
        except (TypeError, ValueError) as err:
            raise ProfileError(f"{spec['file']}: notebooks.{stem}: {err}") from None
        out[stem] = values
    return out


def chapter_params(profile: str, chapter: str, overrides: dict | None = None):
    """The ``Params`` of one chapter under ``profile``, with ``overrides`` on top."""
    stem = next((nb.stem for nb in notebooks() if chapter_of(nb.stem) == chapter), None)
    if stem is None:
        raise ProfileError(f"unknown chapter {chapter!r}; allowed: {', '.join(chapter_of(nb.stem) for nb in notebooks())}")
    values = {**resolve(profile)[stem], **(overrides or {})}
    params = study(chapter).Params
    for key in overrides or {}:
        if key not in params.names():
            raise ProfileError(f"{key!r} is not a parameter of {chapter}; allowed: {', '.join(params.names())}")
    return params(**values)
