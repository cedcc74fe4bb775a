"""Chapter 7, "Your networks": the blind-spot report of ``noisecorr_utils.yours`` run, as a reader
would run it, on networks handed over as files — the zoo's LeNets and an MLP exported as
``torch.export`` archives, mixed with LeNets trained under chapter 2's plain recipe and read as
state dicts. ``checkpoints`` takes any MODEL strings; those under ``book-networks/`` are written
first (into the results folder) from the networks the other chapters trained."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ... import checks, data, figures, noise, report, train, yours, zoo
from ...paths import DOWNLOADS, atomic_path, downloads_dir, results_dir
from ..chapter import COUNT, Result, TrainingParams, cached_run, param

NAME = "your_networks"
BOOK_NETWORKS = "book-networks"   # folder under results/ where the chapter writes the book's networks
# The files the default checkpoints name: architecture, named recipe (None: the zoo's) and seed.
EXPORTS = {"lenet-s0.pt2": ("lenet", None, 0), "lenet-s1.pt2": ("lenet", None, 1), "mlp-s0.pt2": ("mlp", None, 0),
           "lenet-plain-s0.pt": ("lenet", "plain", 0), "lenet-plain-s1.pt": ("lenet", "plain", 1)}
DEFAULT = [f"{BOOK_NETWORKS}/lenet-s0.pt2", f"{BOOK_NETWORKS}/lenet-s1.pt2", f"{BOOK_NETWORKS}/mlp-s0.pt2",
           f"lenet:{BOOK_NETWORKS}/lenet-plain-s0.pt", f"lenet:{BOOK_NETWORKS}/lenet-plain-s1.pt"]


@dataclass(frozen=True)
class Params(TrainingParams):
    checkpoints: tuple[str, ...] = param(DEFAULT, "MODEL strings as `python -m noisecorr_utils.yours` takes them "
                                                  "(book-networks/… are written from the zoo first)")
    dataset: str = param("mnist", "the data set the networks were trained on")
    kinds: tuple[str, ...] = param(["uniform", "gaussian", "salt_and_pepper"], "noise kinds of the report")
    brightnesses: tuple[float, ...] = param([0.5, 1.0], "noise brightnesses of the report")
    n_noise: int = param(2000, "noise images per kind and brightness", COUNT)
    n_test: int = param(2000, "test images for accuracy and error consistency", COUNT)

    def check(self):
        checks.non_empty_list("checkpoints", list(self.checkpoints))
        if len(self.checkpoints) < 2:
            raise ValueError(f"checkpoints: an ensemble needs at least 2 models, got {len(self.checkpoints)}")
        checks.one_of("dataset", self.dataset, yours.DATASETS)
        noise.check_grid(list(self.kinds), list(self.brightnesses))
        checks.at_most("n_test", self.n_test, 10_000, "test images")


def run(p: Params) -> Result:
    """The chapter: the book's networks written as files, then the reader's report on them.
    Not cached as a whole: the files a reader names may change under the same names."""
    return cached_run(NAME, p, _compute, cache=False)


def book_network(name: str, p: Params) -> str:
    """Write ``book-networks/<name>`` (``EXPORTS``) from the zoo's network, once; returns its path."""
    import torch

    target = results_dir() / BOOK_NETWORKS / name
    if target.exists():
        return str(target)
    arch, recipe, seed = EXPORTS[name]
    spec = zoo.ModelSpec(arch, seed=seed, epochs=p.epochs, n_train=p.n_train, recipe_name=recipe)
    model = zoo.get_model(spec)
    with atomic_path(target) as tmp:
        if target.suffix == ".pt2":
            x = train.to_float(data.load(p.dataset).x_test[:2])
            exported = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=100_000)},))
            torch.export.save(exported, str(tmp))
        else:
            torch.save(model.state_dict(), tmp)
    return str(target)


def is_book_network(checkpoint: str) -> bool:
    path = checkpoint.rpartition(":")[2]
    return path.startswith(f"{BOOK_NETWORKS}/") and path.split("/", 1)[1] in EXPORTS


def resolve(checkpoint: str, p: Params) -> str:
    """A MODEL string with its ``book-networks/`` file written first and named by its full path."""
    if not is_book_network(checkpoint):
        return checkpoint
    head, sep, path = checkpoint.rpartition(":")
    return f"{head}{sep}{book_network(path.split('/', 1)[1], p)}"


def _compute(p: Params) -> Result:
    r = Result(NAME, p)
    ds = data.load(p.dataset)
    nets = {i: yours.load_network(c, ds) for i, c in enumerate(p.checkpoints)   # the reader's files first:
            if not is_book_network(c)}                                           # a bad one fails before any training
    nets.update({i: yours.load_network(resolve(c, p), ds) for i, c in enumerate(p.checkpoints) if is_book_network(c)})
    nets = [nets[i] for i in range(len(p.checkpoints))]
    for net in nets:
        yours.check_outputs(net, ds)
    yours.number_duplicates(nets)
    result = yours.study(nets, ds, list(p.kinds), list(p.brightnesses), p.n_noise, p.n_test)
    for name in ("accuracy", "noise_answers", "agreement", "error_consistency", "confidence_scaled_noise",
                 "detection", "blind_spots"):
        r.table(f"yours_{name}", result[name])
    labels = list(result["accuracy"].network)
    r.figures["fig_yours_kappa"] = figures.kappa_menu(result["agreement"], labels)
    r.figures["fig_yours_detection"] = figures.detection_bars(result["detection"])
    top = result["blind_spots"].iloc[0]
    det = result["detection"].set_index(["kind", "brightness"])
    r.text.update(verdict=yours.verdict(result, len(nets)), n_networks=f"{len(nets)}", n_noise=f"{p.n_noise:,}",
                  n_test=f"{p.n_test:,}", top_kind=str(top.kind), top_brightness=f"{top.brightness:g}",
                  top_p_o=report.pct(top.p_o), top_p_e=report.pct(top.p_e), top_kappa=f"{top.kappa:.2f}",
                  top_confidence=report.pct(top.confidence),
                  top_auroc=f"{det.loc[(top.kind, top.brightness), 'AUROC disagreement']:.2f}",
                  best_confidence_auroc=f"{result['detection']['AUROC averaged confidence'].min():.2f}",
                  flagged=report.and_list(list(result["accuracy"].network[result["accuracy"].flag != ""])) or "none")
    acc = result["accuracy"].assign(**{"test accuracy": [report.pct(a) for a in result["accuracy"]["test accuracy"]]})
    r.markdown["accuracy_table"] = report.md_table(acc.rename(columns={"flag": "note"}))
    shown = result["blind_spots"].head(6)
    r.markdown["blind_table"] = report.md_table(shown.assign(
        brightness=[f"{b:g}" for b in shown.brightness], p_o=[report.pct(v) for v in shown.p_o],
        p_e=[report.pct(v) for v in shown.p_e], kappa=[f"{v:.2f}" for v in shown.kappa],
        confidence=[report.pct(v) for v in shown.confidence],
        **{"AUROC disagreement": [f"{v:.2f}" for v in shown["AUROC disagreement"]]})[
        ["kind", "brightness", "p_o", "p_e", "kappa", "confidence", "favourites", "AUROC disagreement"]].rename(
        columns={"kind": "noise", "kappa": "κ", "favourites": "favourite classes",
                 "AUROC disagreement": "AUROC of disagreement"}))
    r.markdown["models_list"] = "\n".join(f"- `{c}`" for c in p.checkpoints)
    if os.environ.get("NOISECORR_BOOK") == "1":   # the report itself, as the command writes it, beside the page
        yours.write_report(downloads_dir(NAME) / "report", result, r.text["verdict"], ds,
                           p.n_noise, p.n_test, list(p.checkpoints))
        r.markdown["report_link"] = (f'<a href="../_static/{DOWNLOADS}/{NAME}/report/report.html">The report on these '
                                     "networks, as the command writes it</a> (with its CSV tables and summary.json).")
    else:
        r.markdown["report_link"] = "The book build puts the report on these networks, as the command writes it, here."
    return r
