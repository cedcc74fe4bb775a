"""The shape every chapter shares: ``Params`` in, ``Result`` out.

    chapter page -> notebook -> studies.<chapter>.run(Params) -> method modules

A chapter's package defines ``Params``, a frozen dataclass of its parameters (the full
profile's values as defaults, each with one line of help, every value checked once in
``check``), and ``run(p) -> Result``, which runs the chapter's experiments in order. A
``Result`` holds the chapter's tables (saved under ``results/tables/<profile>/``), its figures
(plotly objects) and its glue values (text and Markdown, each number formatted once by
``report``); ``Result.glue()`` hands them to the book. ``run`` is cached as a whole under a key of
the parameters, the device and the package's source code, so a warm rebuild reads the chapter
back; the expensive pieces below it keep their own caches.

The notebook is the parameter cell (written from ``Params``: ``parameter_cell``), then
``r = study.run(study.Params.from_namespace(globals()))``, ``r.glue()``, one-line display cells
and prose. The same ``run`` serves tests, benchmarks, ``compare`` and a Python prompt, and
``python -m noisecorr_utils.studies.<chapter> --profile ci`` prints the chapter's verdicts.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import checks, parallel, paths, progress, results
from ..paths import DOWNLOADS, downloads_dir

PACKAGE = Path(__file__).resolve().parents[1]
LITERALS = (bool, int, float, str, list, tuple, dict, type(None))
# What a parameter must be, checked when a Params is made (one line naming the value otherwise).
MAX_COUNT = 1_000_000   # images, steps, resamples: beyond this a chapter would run for days
MAX_SEEDS = 100         # networks per group: beyond this a chapter would train for days


def _bounded(check, low: int, limit: int):
    def bounded(name, value):
        value = check(name, value)
        if value is not None and value > limit:
            raise ValueError(f"{name}={value!r} is too large; allowed: {low} to {limit:,}")
        return value
    return bounded


COUNT = _bounded(checks.positive_int, 1, MAX_COUNT)              # images, steps, resamples: 1 or more
SEEDS = _bounded(checks.seeds_for_ci, 2, MAX_SEEDS)              # seeds behind a confidence interval: 2 or more
NETWORKS = _bounded(checks.positive_int, 1, MAX_SEEDS)           # seeds of networks with no interval over them
SEED = checks.non_negative_int                                   # a random seed or an offset
OPTIONAL = _bounded(checks.optional_positive_int, 1, MAX_COUNT)  # None (the recipe's, all of them) or 1 or more


def param(default, help: str, check=None):
    """A field of a chapter's ``Params``: its full-profile default, the one line of help that
    becomes the notebook parameter's comment (``papermill --help-notebook`` shows it), and what
    the value must be (``COUNT``, ``SEEDS``, ``SEED``, ``OPTIONAL``; rules that involve several
    fields go in ``Params.check``)."""
    return field(default=tuple(default) if isinstance(default, list) else default,
                 metadata={"help": help, "check": check})


@dataclass(frozen=True)
class Params:
    """Parameters shared by every chapter. Subclasses add theirs; ``check`` holds the rules that a
    field's own check cannot express."""

    profile: str = param("full", "name of the params/ profile that runs the chapter")

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
            if f.metadata.get("check"):
                f.metadata["check"](f.name, value)
        if not isinstance(self.profile, str) or not self.profile:
            raise ValueError(f"profile={self.profile!r} must be the name of a profile")
        self.check()

    def check(self) -> None:
        """Rules over several parameters, one line each, before any work (subclasses)."""


    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_namespace(cls, namespace: dict) -> "Params":
        """The parameters of a notebook: the values its parameter cell and papermill's injected
        cell left in ``namespace`` (``globals()``). A value papermill injected under a name that
        is no parameter (a typo: ``-p n_sed 3``) is an error, not a warning."""
        in_build_kernel()
        known = set(cls.names())
        stray = sorted(k for k, v in namespace.items() if not k.startswith("_") and k not in known
                       and k not in ("In", "Out") and isinstance(v, LITERALS))
        if stray:
            raise ValueError(f"{stray[0]!r} is not a parameter of this chapter; allowed: {', '.join(cls.names())}")
        return cls(**{k: namespace[k] for k in cls.names() if k in namespace})

    def as_dict(self) -> dict:
        """The parameters as plain values (tuples as lists), e.g. for a cache key or the provenance."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def parameter_cell(cls) -> str:
        """The source of the notebook's parameter cell: one annotated literal per field, with its
        help as the comment (a test checks that every notebook's cell is exactly this)."""
        lines = []
        for f in dataclasses.fields(cls):
            kind = str(f.type).replace(" | None", "").replace("tuple[", "list[").replace(", ...]", "]")
            value = list(f.default) if isinstance(f.default, tuple) else f.default
            literal = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, str)) else repr(value)
            lines.append(f"{f.name}: {kind} = {literal}  # {f.metadata['help']}")
        return "\n".join(lines)


def in_build_kernel() -> None:
    """In the kernel of a book build (``NOISECORR_BOOK=1``): exit when the build does (a killed
    build leaves nothing running), and refuse to run a ``noisecorr_utils`` that is not the
    checkout being built (``NOISECORR_CHECKOUT``, set by the build)."""
    if os.environ.get("NOISECORR_BOOK") != "1":
        return
    parallel.die_with_parent()
    checkout = os.environ.get("NOISECORR_CHECKOUT")
    if checkout and Path(checkout).resolve() != paths.ROOT:
        raise ImportError(f"noisecorr_utils was imported from {paths.ROOT}, not from the checkout being built "
                          f"({checkout}); install this checkout (pip install -e .) or build from {paths.ROOT}")


@dataclass(frozen=True)
class TrainingParams(Params):
    """A chapter that trains or loads the zoo's networks."""

    n_train: int | None = param(None, "training images per model (None: all of them; networks trained on one half "
                                      "of the set use that half)", OPTIONAL)
    epochs: int | None = param(None, "training epochs per model (None: each architecture's recipe)", OPTIONAL)


class Result:
    """What a chapter's run produced: ``tables`` (name -> DataFrame, saved as CSV), ``figures``
    (glue name -> plotly Figure), ``text`` (glue name -> text) and ``markdown`` (glue name ->
    Markdown source: formatted tables, sentences with links)."""

    def __init__(self, chapter: str, params: Params):
        self.chapter, self.params = chapter, params
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict = {}
        self.text: dict[str, str] = {}
        self.markdown: dict[str, str] = {}
        self._csv: dict[str, str] = {}   # the tables' CSV text as computed (a warm run writes it back as it was)

    def table(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Keep ``df`` as the result table ``name``; returns it."""
        self.tables[name] = df
        return df

    @property
    def verdicts(self) -> pd.DataFrame:
        """The chapter's verdict table."""
        names = [n for n in self.tables if n.endswith("_verdicts")]
        if not names:
            raise KeyError(f"chapter {self.chapter!r} has no verdict table; its tables: {', '.join(self.tables)}")
        return self.tables[names[0]]

    def glue(self) -> None:
        """Glue every text and Markdown value for the book (figures: ``figure``)."""
        from IPython.display import Markdown
        from myst_nb import glue

        from .. import report

        glue("verdict_rules", Markdown(report.VERDICT_RULES), display=False)
        for name, value in self.text.items():
            glue(name, value, display=False)
        for name, value in self.markdown.items():
            glue(name, Markdown(value), display=False)

    def figure(self, name: str) -> None:
        """Show the figure ``name`` here and glue it for its numbered caption in the book."""
        from myst_nb import glue

        from .. import figures

        fig = self.figures[name]
        shown = figures.html(fig)
        if os.environ.get("NOISECORR_BOOK") == "1":   # the numbers behind it, linked under it
            href = self._write_data(f"{name}.csv", figures.figure_data(fig).to_csv(index=False, lineterminator="\n"))
            shown.data += (f'<p class="figure-data"><a href="{href}" download>data (CSV)</a>: the numbers '
                           "this figure draws, as first shown</p>")
        glue(name, shown)

    def _write_data(self, filename: str, text: str | bytes) -> str:
        from ..paths import atomic_path

        target = downloads_dir(self.chapter) / filename
        with atomic_path(target) as tmp:
            tmp.write_bytes(text if isinstance(text, bytes) else text.encode())
        return f"../_static/{DOWNLOADS}/{self.chapter}/{filename}"

    def provenance(self):
        """The page's provenance note: profile, parameters, commit, versions, machine; in a book
        build, with a link to every table of the chapter as CSV files in one zip archive."""
        from .. import provenance

        archive = None
        if os.environ.get("NOISECORR_BOOK") == "1" and self.tables:
            archive = self._write_data(f"{self.chapter}_tables.zip", self.tables_zip())
        return provenance.card(archive=archive, **self.params.as_dict())

    def tables_zip(self) -> bytes:
        """Every result table of the chapter as ``<name>.csv`` (as saved) in one zip archive."""
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, df in self.tables.items():
                info = zipfile.ZipInfo(f"{name}.csv", date_time=(2026, 1, 1, 0, 0, 0))
                z.writestr(info, self._csv.get(name) or results.table_csv(df), zipfile.ZIP_DEFLATED)
        return buffer.getvalue()

    def save_tables(self) -> None:
        for name, df in self.tables.items():
            results.save_table(df, self.params.profile, name, self._csv.get(name))

    # A whole result as JSON: tables as the CSV text they are saved as, figures as plotly JSON.
    def to_json(self) -> str:
        return json.dumps({"chapter": self.chapter, "params": self.params.as_dict(),
                           "tables": {n: results.table_csv(df) for n, df in self.tables.items()},
                           "figures": {n: f.to_json() for n, f in self.figures.items()},
                           "text": self.text, "markdown": self.markdown})

    @classmethod
    def from_json(cls, blob: str, params: Params) -> "Result":
        import plotly.graph_objects as go

        d = json.loads(blob)
        r = cls(d["chapter"], params)
        r._csv = d["tables"]
        r.tables = {n: pd.read_csv(io.StringIO(text), index_col=0) for n, text in d["tables"].items()}
        r.figures = {n: go.Figure(json.loads(f), skip_invalid=True) for n, f in d["figures"].items()}
        r.text, r.markdown = d["text"], d["markdown"]
        return r


@functools.cache
def code_fingerprint() -> str:
    """sha256 of the package's source: a chapter's cached result is read back only by the code
    that computed it."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def result_key(chapter: str, p: Params) -> dict:
    """The cache key of a chapter's whole result: its parameters (all but the profile's name), the
    device and the package's code."""
    from .. import devices

    return results.cache_key(f"chapter-{chapter}", params={k: v for k, v in p.as_dict().items() if k != "profile"},
                             device=str(devices.resolve()), code=code_fingerprint())


def cached_run(chapter: str, p: Params, compute, cache: bool = True) -> Result:
    """``compute(p) -> Result``, cached under ``result_key``; the tables are saved under
    ``results/tables/<profile>/`` either way. A cold and a warm run return the same values (both
    read back from JSON)."""
    key = result_key(chapter, p)
    start = time.perf_counter()
    progress.STAGES.take()

    def computed() -> str:
        with progress.stage("other computation"):
            return compute(p).to_json()

    with progress.stage("reading and writing results"):
        blob = results.cached_text(key, computed) if cache else computed()
        r = Result.from_json(blob, p)
        r.save_tables()
    seconds = time.perf_counter() - start
    progress.emit(f"{chapter}: ready in {progress.duration(seconds)}", event="chapter", chapter=chapter,
                  seconds=round(seconds, 2), stages={k: round(v, 2) for k, v in progress.STAGES.take().items()})
    return r


def main(module, argv=None) -> int:
    """``python -m noisecorr_utils.studies.<chapter> --profile ci [--set key=value ...]``: run the
    chapter without papermill and print its verdict table (or its first table)."""
    import yaml

    from .. import profiles

    name = module.__name__.rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=f"python -m {module.__name__}", description=module.__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", help="a profile in params/ (default: full)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter (the value is read as YAML: 3, [1.0, 0.5], true)")
    args = parser.parse_args(argv)
    try:
        overrides = {}
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--set {item!r} must be KEY=VALUE")
            overrides[key] = yaml.safe_load(value)
        p = profiles.chapter_params(args.profile, name, overrides)
    except (ValueError, profiles.ProfileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    r = module.run(p)
    table = r.verdicts if any(n.endswith("_verdicts") for n in r.tables) else next(iter(r.tables.values()))
    columns = [c for c in ("claim", "ours", "figure verdict", "finding verdict") if c in table.columns] or list(table.columns)
    with pd.option_context("display.max_colwidth", 70, "display.width", 200, "display.max_rows", 200):
        print(table[columns].to_string())
    print(f"tables written to {results.table_path(p.profile, '').parent}")
    return 0
