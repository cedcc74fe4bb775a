"""Build the book: execute every notebook with a profile's parameters, then ``jupyter-book build``.

    python -m noisecorr_utils.build --profile full      # the published book -> _build/html
    python -m noisecorr_utils.build --profile ci        # tiny, for tests    -> _build/ci/_build/html

A profile (``params/<name>.yaml``, see ``profiles``) overrides the chapters' ``Params``: a typo
or an out-of-range value is an error before anything runs. Each notebook is the parameter cell,
``studies.<chapter>.run`` and prose; papermill executes it with the profile's values. Each profile
is staged in its own tree (``_build/stage-<profile>``), so a CI build never overwrites the
published book.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import profiles, progress
from .paths import DOWNLOADS, ROOT, atomic_path
from .profiles import NOTEBOOKS

notebooks = profiles.notebooks

BOOK_FILES = ("_config.yml", "_toc.yml")
BuildError = profiles.ProfileError   # a profile or notebook that cannot be built; the message is one line


def declared_parameters(notebook: Path) -> dict:
    """The parameters a notebook declares in its cell tagged ``parameters``."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def resolve(profile: str) -> dict[str, dict]:
    """Parameters for each notebook under ``profile`` (``profiles.resolve``); BuildError on any bad key."""
    return profiles.resolve(profile)


def stage_dir(profile: str) -> Path:
    return ROOT / "_build" / f"stage-{profile}"


def html_dir(profile: str) -> Path:
    return (ROOT / "_build" / "html") if profile == "full" else (ROOT / "_build" / profile / "_build" / "html")


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class _ProgressTail(threading.Thread):
    """Prints, in this terminal, the progress lines the notebook's kernel appends to a file (the
    kernel's own output becomes the page), and counts models trained and loaded."""

    def __init__(self, path: Path, prefix: str):
        super().__init__(daemon=True)
        self.path, self.prefix = path, prefix
        self.stop = threading.Event()
        self.counts = {"trained": 0, "loaded": 0}
        self.chapters: list[dict] = []   # the "chapter" events: seconds and seconds per stage
        self.offset = 0

    def poll(self) -> None:
        if not self.path.exists():
            return
        with open(self.path) as f:
            f.seek(self.offset)
            for raw in f:
                if not raw.endswith("\n"):
                    break  # a line still being written: read it next time
                self.offset += len(raw.encode())
                event = json.loads(raw)
                if event.get("event") == "model":
                    self.counts[event["status"]] += 1
                if event.get("event") == "chapter":
                    self.chapters.append(event)
                print(f"{self.prefix}   {event['line']}", flush=True)

    def run(self):
        while not self.stop.wait(0.5):
            self.poll()

    def finish(self) -> dict:
        self.stop.set()
        if self.is_alive():
            self.join()
        self.poll()
        return self.counts


def kernel_environment(profile: str) -> dict[str, str]:
    """What the notebooks' kernels are told: book mode, the profile, the commit, and — explicitly —
    this checkout's package path and cache folders, so that a kernel never imports or writes
    another checkout's (a venv shared between clones); the kernel checks it (``in_build_kernel``)."""
    from . import paths

    python_path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {"NOISECORR_BOOK": "1", "NOISECORR_PROFILE": profile, "NOISECORR_COMMIT": _git_commit(),
            "NOISECORR_CHECKOUT": str(ROOT), "PYTHONPATH": python_path,
            "NOISECORR_DATA": str(paths.data_dir().resolve()), "NOISECORR_MODELS": str(paths.models_dir().resolve()),
            "NOISECORR_RESULTS": str(paths.results_dir().resolve())}


def _remove_orphans(stage: Path) -> None:
    """Temporary notebooks and progress files of builds that were killed (their process is gone)."""
    for path in [*stage.glob("book/.*.tmp.ipynb"), *stage.glob(".progress-*.jsonl")]:
        pid = path.name.split(".")[-3] if path.suffix == ".ipynb" else path.name.split(".")[-2]
        if not pid.isdigit() or not _alive(int(pid)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_children() -> None:
    """Kill every process this build started (kernels, their workers) and wait for them."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(children, timeout=5)


def _terminate_on_sigterm() -> None:
    """SIGTERM (``kill``, ``timeout``) ends the build as Ctrl-C does: through its ``finally``
    blocks, so that no temporary file is left and every child is stopped."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def _timings_file(profile: str) -> Path:
    return stage_dir(profile) / "timings.json"


def execute(profile: str, params: dict[str, dict], only: list[str] | None = None) -> Path:
    """Run papermill over the notebooks into the profile's stage tree (each file atomically),
    showing in the terminal each cell as it runs (papermill's bar), each model as it is trained
    or loaded, an estimate of the time left from the previous build's timings, and at the end a
    table of seconds per notebook and models trained vs loaded."""
    import nbformat
    import papermill

    stage = stage_dir(profile)
    (stage / "book").mkdir(parents=True, exist_ok=True)
    _remove_orphans(stage)
    os.environ.update(kernel_environment(profile))
    previous = json.loads(_timings_file(profile).read_text()) if _timings_file(profile).exists() else {}
    names = [name for name in params if not only or name in only]
    rows, stages = [], []
    for k, name in enumerate(names):
        values = params[name]
        source = NOTEBOOKS / f"{name}.ipynb"
        target = stage / "book" / f"{name}.ipynb"
        left = [previous.get(n) for n in names[k:]]
        estimate = (f"; the last build took {progress.duration(sum(left))} from here" if all(left) else "")
        print(f"[{profile}] ({k + 1}/{len(names)}) executing {source.relative_to(ROOT)}{estimate}", flush=True)
        log = stage / f".progress-{name}.{os.getpid()}.jsonl"   # one per build: concurrent builds do not mix
        log.unlink(missing_ok=True)
        os.environ["NOISECORR_PROGRESS"] = str(log)
        tail = _ProgressTail(log, f"[{profile}]")
        tail.start()
        start = time.perf_counter()
        try:
            with atomic_path(target, tag=os.getpid()) as tmp:
                papermill.execute_notebook(str(source), str(tmp), parameters=values, kernel_name="python3",
                                           cwd=str(stage / "book"), progress_bar=True,
                                           log_output=False)
                nb = nbformat.read(tmp, as_version=4)
                _prepare_for_book(nb)
                nbformat.write(nb, tmp)
        finally:
            counts = tail.finish()
            os.environ.pop("NOISECORR_PROGRESS", None)
            log.unlink(missing_ok=True)
        seconds = time.perf_counter() - start
        previous[name] = round(seconds, 1)
        rows.append((name, seconds, counts["trained"], counts["loaded"]))
        inside = 0.0
        for event in tail.chapters:
            for stage_name, sec in event.get("stages", {}).items():
                stages.append({"notebook": name, "stage": stage_name, "seconds": sec})
                inside += sec
        stages.append({"notebook": name, "stage": "notebook (kernel, glue, pages)", "seconds": round(seconds - inside, 2)})
        print(f"[{profile}] {name} done in {progress.duration(seconds)}", flush=True)
        with atomic_path(_timings_file(profile)) as tmp:
            tmp.write_text(json.dumps(previous, indent=1))
        _write_stages(profile, stages)
    if rows:
        print(f"[{profile}] {'notebook':<24} {'seconds':>8} {'models trained':>15} {'loaded':>7}")
        for name, seconds, trained, loaded in rows:
            print(f"[{profile}] {name:<24} {seconds:8.0f} {trained:15d} {loaded:7d}")
        print(f"[{profile}] {'total':<24} {sum(r[1] for r in rows):8.0f} {sum(r[2] for r in rows):15d} "
              f"{sum(r[3] for r in rows):7d}", flush=True)
    return stage


def _stages_file(profile: str) -> Path:
    return stage_dir(profile) / "stages.csv"


def _write_stages(profile: str, stages: list[dict]) -> None:
    """The build's stage table so far: seconds per notebook and stage (``progress.stage``)."""
    import pandas as pd

    with atomic_path(_stages_file(profile)) as tmp:
        pd.DataFrame(stages, columns=["notebook", "stage", "seconds"]).to_csv(tmp, index=False)


def stage_table(profile: str, jupyter_book_seconds: float | None = None):
    """Seconds and share of the build per stage (summed over notebooks) and per notebook × stage,
    from the last build of ``profile``."""
    import pandas as pd

    t = pd.read_csv(_stages_file(profile))
    if jupyter_book_seconds is not None:
        t = pd.concat([t, pd.DataFrame([{"notebook": "(book)", "stage": "jupyter-book",
                                         "seconds": round(jupyter_book_seconds, 2)}])], ignore_index=True)
    total = t.seconds.sum()
    by_stage = t.groupby("stage", as_index=False).seconds.sum().sort_values("seconds", ascending=False)
    by_stage["share"] = (by_stage.seconds / total).round(3)
    return by_stage, t


WORDS_PER_MINUTE = 200     # MyST's own reading-speed default
SECONDS_PER_FIGURE = 12    # the usual allowance for looking at a figure


def reading_time(nb) -> tuple[int, int]:
    """(minutes to read, figures) of a chapter notebook: its prose words at ``WORDS_PER_MINUTE``
    plus ``SECONDS_PER_FIGURE`` per figure, rounded up; a glued value counts as one word."""
    import math
    import re

    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    figures = len(re.findall(r"^```\{glue:figure\}", prose, flags=re.MULTILINE))
    words = len(re.findall(r"\w+", re.sub(r"\{glue:\w+\}`[^`]*`", "x", prose)))
    return max(1, math.ceil(words / WORDS_PER_MINUTE + figures * SECONDS_PER_FIGURE / 60)), figures


def _prepare_for_book(nb) -> None:
    """Hide the parameter cells, drop widget state (live widgets need a kernel; myst-nb would
    otherwise load the widget manager from a CDN), and put the reading time under the title."""
    nb.metadata.pop("widgets", None)
    minutes, figures = reading_time(nb)
    first = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if first is not None:
        title, _, rest = first.source.partition("\n")
        shown = f", {figures} interactive figure{'s' if figures != 1 else ''}" if figures else ""
        first.source = f"{title}\n\n*About {minutes} min to read{shown}.*\n{rest}"
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            cell.metadata["tags"] = sorted(set(tags) | {"remove-cell"})
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]


def stage_book(profile: str) -> Path:
    """Copy the book's sources, plotly.js (offline figures) and MathJax (offline formulas) into the
    stage tree."""
    import plotly
    import yaml

    stage = stage_dir(profile)
    for name in BOOK_FILES:
        shutil.copy2(ROOT / name, stage / name)
    if profile != "full":   # every page says, at its top, that its numbers come from a small profile
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
        config.setdefault("html", {})["announcement"] = small_profile_banner(profile)
        (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    for item in (ROOT / "book").iterdir():
        if item.suffix in (".md", ".bib"):
            shutil.copy2(item, stage / "book" / item.name)
    static = stage / "book" / "_static"
    for item in static.iterdir() if static.exists() else ():
        if item.name != DOWNLOADS:   # what the notebooks wrote for readers (figure data, table archives)
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    shutil.copytree(ROOT / "book" / "_static", static, dirs_exist_ok=True)
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static)
    mathjax = static / "mathjax"          # MathJax 3 with SVG output: one file, no fonts to fetch
    mathjax.mkdir(exist_ok=True)
    for name in ("es5/tex-svg.js", "LICENSE"):
        shutil.copy2(_mathjax_dir() / name, mathjax / Path(name).name)
    return stage


def small_profile_banner(profile: str) -> str:
    return (f"This copy was built with the “{profile}” profile: fewer networks and images than the "
            "published book, so its numbers and verdicts test the pipeline, not the claims of the sources.")


def _mathjax_dir() -> Path:
    """MathJax 3's distribution, from the PyPI package django-static-mathjax (requirements-nodeps.txt)."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("MathJax is not installed; pip install --no-deps -r requirements-nodeps.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"


def jupyter_book(profile: str) -> Path:
    stage = stage_dir(profile)
    out = ROOT if profile == "full" else ROOT / "_build" / profile
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(stage), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    print(f"[{profile}] jupyter-book {' '.join(cmd[1:])}", flush=True)
    done = subprocess.run(cmd)
    if done.returncode != 0:
        raise BuildError(f"jupyter-book build failed for profile {profile!r} (warnings are errors); "
                         "see the log above")
    # Browsers ask for /favicon.ico on pages without an icon link (the root redirect page).
    shutil.copy2(ROOT / "book" / "_static" / "favicon.png", html_dir(profile) / "favicon.ico")
    return html_dir(profile) / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m noisecorr_utils.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="full", help="one of the files in params/ (default full)")
    parser.add_argument("--only", nargs="*", help="execute only these notebooks (stems)")
    parser.add_argument("--no-execute", action="store_true", help="reuse the staged notebooks")
    parser.add_argument("--timings", metavar="CSV", help="write the stage table (seconds per notebook and stage) here")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="send training, kernels and attacks to this dask scheduler (tcp://host:8786; "
                             "default: DASK_SCHEDULER_ADDRESS)")
    args = parser.parse_args(argv)
    _terminate_on_sigterm()
    if args.scheduler:
        os.environ["DASK_SCHEDULER_ADDRESS"] = args.scheduler
    try:
        params = resolve(args.profile)
        if args.only:
            for name in args.only:
                if name not in params:
                    raise BuildError(f"unknown notebook {name!r}; allowed: {', '.join(params)}")
        start = time.perf_counter()
        if not args.no_execute:
            execute(args.profile, params, args.only)
        stage_book(args.profile)
        book_start = time.perf_counter()
        index = jupyter_book(args.profile)
        if not args.no_execute:
            by_stage, per_notebook = stage_table(args.profile, time.perf_counter() - book_start)
            print(f"[{args.profile}] where the time went:")
            for row in by_stage.itertuples():
                print(f"[{args.profile}]   {row.stage:<36} {row.seconds:8.0f} s  {row.share:6.1%}")
            if args.timings:
                per_notebook.to_csv(args.timings, index=False)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # papermill's execution errors carry the failing cell
        print(f"error: {type(err).__name__}: {str(err).strip().splitlines()[-1][:300]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"[{args.profile}] stopped; finished chapters and caches are kept", file=sys.stderr)
        return 130
    finally:
        _stop_children()
    print(f"[{args.profile}] built in {time.perf_counter() - start:.0f} s")
    print(index.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
