"""Your own networks: any set of checkpoints → a blind-spot report for that ensemble.

    python -m noisecorr_utils.yours MODEL MODEL ... --data mnist --out DIR

A MODEL is a ``torch.export`` archive (``.pt2``), a TorchScript file, ``ARCH:weights.pt`` or
``ARCH@WIDTH:weights.pt`` (a state dict of one of the zoo's architectures, read with ``weights_only=True``) or
``package.module:factory:weights.pt`` (a factory importable from the current directory or
``PYTHONPATH``, called with no argument, whose network takes the state dict). The report asks the
practical question behind the book: *if I ensemble these, do they fail together on inputs unlike
their training data?* — test accuracy (a network near chance is flagged: wrong transform?), the
answers to every noise kind × brightness, p_o / p_e / κ between all networks with intervals by a
bootstrap over images (there are no seeds here), error consistency on the test set (Geirhos et
al., NeurIPS 2020), confidence on scaled noise (Hein et al., CVPR 2019), the ensemble's noise
detection (AUROC of disagreement and of averaged confidence, against single networks) and a
ranked list of blind spots. Every input is checked, in one line, before any work.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from . import architectures, checks, data, noise, stats
from .relations import auroc, error_consistency

DATASETS = ("mnist", "fashion_mnist", "cifar10")
NEAR_CHANCE = 0.10        # test accuracy within this of chance: the network is flagged
ALPHAS = (1.0, 10.0, 100.0)   # scales of uniform noise for Hein et al.'s confidence protocol
N_BOOT = 500
N_CONFIDENCE = 2000       # uniform-noise images per scale α, as the noise chapter's confidence section


class ModelError(ValueError):
    """A MODEL argument that cannot be used; the message is one line."""


@dataclass
class Network:
    label: str
    module: nn.Module


# ---- reading the reader's networks -------------------------------------------------------------

def _file(text: str, path: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelError(f"{text}: no file {path!r}")
    return p


def _state_dict(text: str, path: Path) -> dict:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:   # noqa: BLE001 - any unreadable file is the same one-line error
        raise ModelError(f"{text}: {path.name} is not a state dict torch can read safely "
                         f"({type(err).__name__})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{text}: {path.name} holds no state dict (a mapping of names to tensors)")
    return state


def _fit(text: str, model: nn.Module, state: dict) -> nn.Module:
    """Load ``state`` into ``model``, or say in one line which keys or shapes do not fit."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
              if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        parts = [f"{label}: {', '.join(keys[:4])}{' …' if len(keys) > 4 else ''}"
                 for label, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                                     ("shapes differ", shapes)) if keys]
        raise ModelError(f"{text}: the weights do not fit the network ({'; '.join(parts)})")
    model.load_state_dict(state)
    return model


def load_network(text: str, ds: data.Dataset) -> Network:
    """The network a MODEL argument names, in eval mode on the CPU."""
    parts = text.split(":")
    if len(parts) == 2 and not Path(text).exists():
        arch, path = parts
        arch, _, width = arch.partition("@")     # ARCH@WIDTH: a zoo network of another width
        if arch not in architectures.ARCHITECTURES:
            raise ModelError(f"{text}: unknown architecture {arch!r}; allowed: {', '.join(architectures.ARCHITECTURES)}")
        try:
            width = float(width) if width else 1.0
            assert width > 0
        except (ValueError, AssertionError):
            raise ModelError(f"{text}: width {parts[0].partition('@')[2]!r} must be a positive number (ARCH@0.5)") from None
        state = _state_dict(text, _file(text, path))
        model = architectures.build(arch, ds.shape, ds.n_classes, ds.mean, ds.std, width=width)
        module = _fit(text, model, state)   # airnet's whitening is a buffer, so it comes with the weights
    elif len(parts) == 3:
        module_name, factory_name, path = parts
        weights = _file(text, path)
        sys.path.insert(0, os.getcwd())
        try:
            factory = getattr(importlib.import_module(module_name), factory_name)
        except (ImportError, AttributeError) as err:
            raise ModelError(f"{text}: cannot import {module_name}:{factory_name} ({err})") from None
        finally:
            sys.path.remove(os.getcwd())
        try:
            model = factory()
        except Exception as err:   # noqa: BLE001 - the reader's code: any failure is one line
            raise ModelError(f"{text}: {factory_name}() raised {type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''}") from None
        if not isinstance(model, nn.Module):
            raise ModelError(f"{text}: {factory_name}() returned a {type(model).__name__}, not a torch nn.Module")
        module = _fit(text, model, _state_dict(text, weights))
    elif len(parts) == 1 or Path(text).exists():
        path = _file(text, text)
        module = _archive(text, path)
    else:
        raise ModelError(f"{text}: not a MODEL; allowed: FILE.pt2, TorchScript FILE, ARCH:WEIGHTS, "
                         "package.module:factory:WEIGHTS")
    try:
        module.eval()
    except NotImplementedError:   # a torch.export module is in inference mode already
        pass
    return Network(Path(parts[-1]).stem if len(parts) > 1 else Path(text).stem, module)


def _archive(text: str, path: Path) -> nn.Module:
    """A torch.export archive or a TorchScript file."""
    if path.suffix == ".pt2":
        try:
            return torch.export.load(str(path)).module()
        except Exception as err:   # noqa: BLE001
            raise ModelError(f"{text}: not a torch.export archive ({type(err).__name__})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)   # TorchScript is deprecated, still read
            return torch.jit.load(str(path), map_location="cpu")
    except Exception:   # noqa: BLE001
        raise ModelError(f"{text}: not a model (neither a torch.export .pt2 archive nor TorchScript; "
                         "a state dict needs ARCH:FILE or package.module:factory:FILE)") from None


def parse_normalise(text: str | None, channels: int) -> tuple[list[float], list[float]] | None:
    """``--normalise MEAN,STD`` (one number each, or one per channel joined by '/') → lists."""
    if text is None:
        return None
    try:
        mean, std = ([float(v) for v in part.split("/")] for part in text.split(","))
    except ValueError:
        raise ValueError(f"--normalise {text!r}: expected MEAN,STD, e.g. 0.1307,0.3081 "
                         "(per channel: 0.49/0.48/0.45,0.25/0.24/0.26)") from None
    if len(mean) == 1:
        mean, std = mean * channels, std * channels if len(std) == 1 else std
    if len(mean) != channels or len(std) != channels or min(std) <= 0:
        raise ValueError(f"--normalise {text!r}: need {channels} mean(s) and {channels} positive std(s)")
    return mean, std


class _Transformed(nn.Module):
    def __init__(self, module: nn.Module, mean, std):
        super().__init__()
        self.module = module
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return self.module((x - self.mean) / self.std)


def number_duplicates(nets: list[Network]) -> None:
    """Two files with one stem (b.pt2, b.ts): label them b#1, b#2."""
    labels = [n.label for n in nets]
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            nets[i].label = f"{label}#{labels[:i + 1].count(label)}"


def check_outputs(net: Network, ds: data.Dataset) -> None:
    """The network must map a batch of images to (batch, classes) logits."""
    x = ds.x_test[:2].float() / 255
    try:
        with torch.no_grad():
            out = net.module(x)
    except Exception as err:   # noqa: BLE001
        raise ModelError(f"{net.label}: fails on a batch of {ds.name} images of shape {tuple(x.shape)} "
                         f"({type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''})") from None
    if not isinstance(out, torch.Tensor) or out.shape != (2, ds.n_classes) or not out.is_floating_point():
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelError(f"{net.label}: outputs {shape} for 2 images; expected (2, {ds.n_classes}) logits for {ds.name}")


# ---- the measurements ---------------------------------------------------------------------------

def _logits(net: Network, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([net.module(x[i:i + batch]).float() for i in range(0, len(x), batch)])


def study(nets: list[Network], ds: data.Dataset, kinds, brightnesses, n_noise: int, n_test: int,
          seed: int = 0) -> dict:
    """Every measurement of the report, as tables and a summary."""
    k = ds.n_classes
    labels = [n.label for n in nets]
    x_test, y_test = ds.x_test[:n_test].float() / 255, ds.y_test[:n_test].numpy()
    test_logits = [_logits(n, x_test) for n in nets]
    test_answers = np.stack([t.argmax(1).numpy() for t in test_logits])
    correct = test_answers == y_test
    test_conf = np.stack([t.softmax(1).max(1).values.numpy() for t in test_logits])
    acc = pd.DataFrame({"network": labels, "test accuracy": correct.mean(1),
                        "flag": ["near chance: wrong input transform?" if a < 1 / k + NEAR_CHANCE else ""
                                 for a in correct.mean(1)]})
    ec_ci = stats.pairwise_bootstrap(correct.astype(np.int64), 2, n_boot=N_BOOT, seed=seed)["kappa"]  # κ on right/wrong
    ec_rows = [{"a": labels[i], "b": labels[j], "error consistency": error_consistency(correct[i], correct[j]),
                "lo": ec_ci[0][i, j], "hi": ec_ci[1][i, j]}
               for i in range(len(nets)) for j in range(i + 1, len(nets))]
    cells, pair_rows, answer_rows, detect_rows, thumbs = [], [], [], [], {}
    for c, kind in enumerate(kinds):
        for b in brightnesses:
            x = noise.generate(kind, n_noise, ds, b, seed=seed + 1 + c)
            logits = [_logits(n, x) for n in nets]
            probs = torch.stack([t.softmax(1) for t in logits]).numpy()
            answers = probs.argmax(2)
            conf = probs.max(2)
            thumbs[(kind, b)] = (x[:6].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
            for i, label in enumerate(labels):
                counts = np.bincount(answers[i], minlength=k)
                answer_rows.append({"kind": kind, "brightness": b, "network": label,
                                    "favourite": ds.classes[int(counts.argmax())],
                                    "favourite share": counts.max() / n_noise, "mean confidence": conf[i].mean()})
            book = stats.pair_matrices(answers, k)   # the book's numbers: κ undefined beside a degenerate network
            ci = stats.pairwise_bootstrap(answers, k, n_boot=N_BOOT, seed=seed)
            for i in range(len(nets)):
                for j in range(i + 1, len(nets)):
                    undefined = np.isnan(book["kappa"][i, j])
                    pair_rows.append({"kind": kind, "brightness": b, "a": labels[i], "b": labels[j],
                                      "p_o": book["p_o"][i, j], "p_o_lo": ci["p_o"][0][i, j], "p_o_hi": ci["p_o"][1][i, j],
                                      "p_e": book["p_e"][i, j], "kappa": book["kappa"][i, j],
                                      "kappa_lo": np.nan if undefined else ci["kappa"][0][i, j],
                                      "kappa_hi": np.nan if undefined else ci["kappa"][1][i, j]})
            # noise detection: a larger score should mean "noise"
            vote = np.stack([(answers == cls).sum(0) for cls in range(k)]).max(0) / len(nets)
            test_vote = np.stack([(test_answers == cls).sum(0) for cls in range(k)]).max(0) / len(nets)
            mean_noise, mean_test = probs.mean(0).max(1), np.stack([t.softmax(1).numpy() for t in test_logits]).mean(0).max(1)
            single = [auroc(1 - conf[i], 1 - test_conf[i]) for i in range(len(nets))]
            detect_rows.append({"kind": kind, "brightness": b,
                                "AUROC disagreement": auroc(1 - vote, 1 - test_vote),
                                "AUROC averaged confidence": auroc(1 - mean_noise, 1 - mean_test),
                                "AUROC best single network": max(single), "AUROC mean single network": float(np.mean(single))})
            cells.append((kind, b))
    pairs, answers_t, detection = pd.DataFrame(pair_rows), pd.DataFrame(answer_rows), pd.DataFrame(detect_rows)
    blind = _blind_spots(pairs, answers_t, detection)
    hein = _hein(nets, ds, min(n_noise, N_CONFIDENCE), seed)
    return {"accuracy": acc, "error_consistency": pd.DataFrame(ec_rows), "noise_answers": answers_t,
            "agreement": pairs, "detection": detection, "blind_spots": blind, "confidence_scaled_noise": hein,
            "thumbnails": thumbs}


def _blind_spots(pairs: pd.DataFrame, answers: pd.DataFrame, detection: pd.DataFrame) -> pd.DataFrame:
    """Noise kinds and levels ranked by how much the networks agree on them (mean p_o over pairs)
    times how confident they are (mean confidence): where an ensemble fails together."""
    p = pairs.groupby(["kind", "brightness"], sort=False).agg(p_o=("p_o", "mean"), p_e=("p_e", "mean"),
                                                              kappa=("kappa", "mean"), p_o_lo=("p_o_lo", "min"))
    c = answers.groupby(["kind", "brightness"], sort=False).agg(confidence=("mean confidence", "mean"),
                                                                favourites=("favourite", lambda f: " ".join(f)))
    t = p.join(c).join(detection.set_index(["kind", "brightness"])["AUROC disagreement"])
    t["blind-spot score"] = t.p_o * t.confidence
    return t.sort_values("blind-spot score", ascending=False).reset_index()


def _hein(nets: list[Network], ds: data.Dataset, n: int, seed: int) -> pd.DataFrame:
    """Hein et al.'s protocol: mean confidence on uniform noise scaled by α (unclipped for α > 1)."""
    base = torch.rand((n, *ds.shape), generator=torch.Generator().manual_seed(seed + 99))
    rows = []
    for net in nets:
        row = {"network": net.label}
        for alpha in ALPHAS:
            row[f"confidence at α={alpha:g}"] = float(_logits(net, base * alpha).softmax(1).max(1).values.mean())
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(result: dict, n_networks: int) -> str:
    """The report's answer in one sentence: where they fail together (agreeing and confident on
    noise), else how well their disagreement flags noise in the hardest case."""
    top = result["blind_spots"].iloc[0]
    det = result["detection"].set_index(["kind", "brightness"])
    worst = result["detection"].sort_values("AUROC disagreement").iloc[0]
    if top.p_o_lo >= 0.5 and top.confidence >= 0.5:
        return (f"These {n_networks} networks fail together on {top.kind} noise at brightness {top.brightness:g}: "
                f"they agree on {top.p_o:.0%} of it (chance {top.p_e:.0%}, κ {top.kappa:.2f}) with mean "
                f"confidence {top.confidence:.0%}; their disagreement flags it with AUROC "
                f"{det.loc[(top.kind, top.brightness), 'AUROC disagreement']:.2f}.")
    if worst["AUROC disagreement"] >= 0.7:
        return (f"Their disagreement flags noise with AUROC {worst['AUROC disagreement']:.2f} or more in every "
                f"case tried (lowest: {worst.kind} at brightness {worst.brightness:g}).")
    return (f"Their disagreement does not flag {worst.kind} noise at brightness {worst.brightness:g} "
            f"(AUROC {worst['AUROC disagreement']:.2f}), though they are not confident on it: averaged "
            f"confidence flags it with AUROC {worst['AUROC averaged confidence']:.2f}.")


# ---- the report ---------------------------------------------------------------------------------

def report_html(result: dict, sentence: str, ds: data.Dataset, n_noise: int, n_test: int) -> str:
    """A self-contained page: the verdict, the tables, a κ matrix with a menu over noise cells and
    the blind spots with thumbnails; plotly.js inlined (works offline)."""
    import plotly.io as pio

    from .figures.base import mosaic, png_source
    from .figures.your_networks import detection_bars, kappa_menu

    labels = list(result["accuracy"].network)
    config = {"displaylogo": False, "responsive": True}
    parts = [pio.to_html(kappa_menu(result["agreement"], labels), include_plotlyjs=True, full_html=False,
                         default_width="100%", config=config),
             pio.to_html(detection_bars(result["detection"]), include_plotlyjs=False, full_html=False,
                         default_width="100%", config=config)]
    rows = []
    for _, r in result["blind_spots"].iterrows():
        thumb = png_source(mosaic(result["thumbnails"][(r.kind, r.brightness)], 1, 6))
        rows.append(f"<tr><td>{r.kind}</td><td>{r.brightness:g}</td><td>{r.p_o:.1%}</td><td>{r.p_e:.1%}</td>"
                    f"<td>{r.kappa:.2f}</td><td>{r.confidence:.1%}</td><td>{r.favourites}</td>"
                    f"<td>{r['AUROC disagreement']:.2f}</td><td><img alt='noise' src='{thumb}' style='image-rendering:pixelated;height:40px'></td></tr>")
    blind = ("<table><tr><th>noise</th><th>brightness</th><th>pₒ</th><th>pₑ</th><th>κ</th><th>confidence</th>"
             "<th>favourite classes</th><th>AUROC of disagreement</th><th>examples</th></tr>" + "".join(rows) + "</table>")
    tables = "".join(f"<h2>{title}</h2>{result[name].to_html(index=False, float_format=lambda v: f'{v:.3f}')}"
                     f"<p><a href='{name}.csv'>{name}.csv</a></p>"
                     for name, title in (("accuracy", "Test accuracy"), ("noise_answers", "Answers to noise"),
                                         ("agreement", "Agreement on noise (95% intervals by a bootstrap over images)"),
                                         ("error_consistency", "Error consistency on the test set (Geirhos et al., 2020)"),
                                         ("confidence_scaled_noise", f"Confidence on scaled uniform noise (Hein et al., 2019; "
                                                                     f"{min(n_noise, N_CONFIDENCE):,} images per scale)"),
                                         ("detection", "Noise detection by the ensemble")))
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            "<title>Blind-spot report</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
            "table{border-collapse:collapse;font-size:0.85em;display:block;overflow-x:auto}td,th{border:1px solid #ccc;"
            "padding:2px 6px}</style></head><body>"
            f"<h1>Blind-spot report: {len(labels)} networks on {ds.name}</h1><p><b>{sentence}</b></p>"
            f"<p>{n_noise} noise images per kind and brightness, {n_test} test images. Intervals come from a "
            "bootstrap over images: there are no seeds here, so they say nothing about other trainings of "
            "these networks.</p>" + "".join(parts) + "<h2>Blind spots, most shared first</h2>" + blind + tables
            + "</body></html>")


def write_report(out: Path, result: dict, sentence: str, ds: data.Dataset, n_noise: int, n_test: int,
                 models: list[str]) -> None:
    """Every file into a temporary folder beside ``out``, then moved into place in one step."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, table in result.items():
            if isinstance(table, pd.DataFrame):
                table.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
        top = result["blind_spots"].iloc[0]
        summary = {"verdict": sentence, "data": ds.name, "models": models, "n_noise": n_noise, "n_test": n_test,
                   "test_accuracy": dict(zip(result["accuracy"].network, result["accuracy"]["test accuracy"].round(4))),
                   "flagged": [r.network for r in result["accuracy"].itertuples() if r.flag],
                   "top_blind_spot": {"kind": top.kind, "brightness": float(top.brightness), "p_o": round(float(top.p_o), 4),
                                      "p_e": round(float(top.p_e), 4), "kappa": round(float(top.kappa), 4),
                                      "confidence": round(float(top.confidence), 4)}}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        (tmp / "report.html").write_text(report_html(result, sentence, ds, n_noise, n_test))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "summary.json").exists())):
        raise ValueError(f"--out {str(out)!r} exists and is not an earlier report; choose a new or empty folder")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m noisecorr_utils.yours",
                                     description="A blind-spot report for your own networks.")
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="FILE.pt2, a TorchScript file, ARCH:WEIGHTS.pt or package.module:factory:WEIGHTS.pt")
    parser.add_argument("--data", required=True, help=f"the data set the networks were trained on: {', '.join(DATASETS)}")
    parser.add_argument("--out", required=True, help="folder for report.html, the CSV tables and summary.json")
    parser.add_argument("--normalise", help="MEAN,STD the networks expect on [0, 1] pixels (default: none, as the zoo)")
    parser.add_argument("--kinds", default="uniform,gaussian", help="noise kinds, comma-separated (default uniform,gaussian)")
    parser.add_argument("--brightnesses", default="0.5,1", help="brightnesses in (0, 1], comma-separated (default 0.5,1)")
    parser.add_argument("--n-noise", type=int, default=1000, help="noise images per kind and brightness (default 1000)")
    parser.add_argument("--n-test", type=int, default=2000, help="test images (default 2000)")
    parser.add_argument("--device", default="cpu", help="cpu (the only device this report uses today)")
    args = parser.parse_args(argv)
    try:
        if args.data not in DATASETS:
            raise ValueError(f"unknown data set {args.data!r}; allowed: {', '.join(DATASETS)}")
        if args.device != "cpu":
            raise ValueError(f"--device {args.device!r}; allowed: cpu")
        if len(args.models) < 2:
            raise ValueError(f"an ensemble needs at least 2 models, got {len(args.models)}")
        checks.positive_int("--n-noise", args.n_noise)
        checks.at_most("--n-noise", args.n_noise, 100_000, "noise images a report draws")
        checks.positive_int("--n-test", args.n_test)
        kinds = [k for k in args.kinds.split(",") if k]
        try:
            brightnesses = [float(b) for b in args.brightnesses.split(",")]
        except ValueError:
            raise ValueError(f"--brightnesses {args.brightnesses!r} must be numbers in (0, 1]") from None
        noise.check_grid(kinds, brightnesses)
        out = Path(args.out)
        _check_out(out)
        ds = data.load(args.data)
        checks.at_most("--n-test", args.n_test, len(ds.x_test), "test images")
        transform = parse_normalise(args.normalise, ds.shape[0])
        nets = []
        for text in args.models:
            net = load_network(text, ds)
            if transform:
                net.module = _Transformed(net.module, *transform)
            check_outputs(net, ds)
            nets.append(net)
        number_duplicates(nets)
    except (ValueError, data.DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with torch.no_grad():
        result = study(nets, ds, kinds, brightnesses, args.n_noise, args.n_test)
    sentence = verdict(result, len(nets))
    write_report(out, result, sentence, ds, args.n_noise, args.n_test, args.models)
    print(sentence)
    print(f"report: {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
