"""Rebuilt verdicts against the published reference, on a constructed pair of folders."""
import pandas as pd
import pytest

from noisecorr_utils import compare


def _table(rows):
    return pd.DataFrame(rows, columns=["claim", "source", "ours", "estimate", "lo", "hi", "rule", "verdict"])


def test_agreeing_and_differing_verdicts_are_listed_with_their_move(tmp_path, capsys, monkeypatch):
    ref, new = tmp_path / "reference", tmp_path / "results" / "tables" / "full"
    ref.mkdir(parents=True)
    new.mkdir(parents=True)
    _table([["two MLPs agree", "81%", "", 0.80, 0.75, 0.85, "band", "reproduced"],
            ["two CNNs agree", "76%", "", 0.55, 0.30, 0.77, "band", "inconclusive"]]).to_csv(ref / "noise_verdicts.csv")
    _table([["two MLPs agree", "81%", "", 0.79, 0.74, 0.84, "band", "reproduced"],
            ["two CNNs agree", "76%", "", 0.52, 0.45, 0.60, "band", "not reproduced"]]).to_csv(new / "noise_verdicts.csv")
    table = compare.compare(new, ref)
    assert list(table.agrees) == [True, False]
    assert table["moved by"].tolist() == pytest.approx([-0.01, -0.03])
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path / "results"))
    assert compare.main(["--reference", str(ref)]) == 1
    out = capsys.readouterr().out
    assert "noise_verdicts: 1 of 2 claims agree" in out and "DIFF inconclusive -> not reproduced: two CNNs agree" in out
    assert "estimate 0.8 -> 0.79 (-0.01)" in out
    # publishing this build makes the comparison agree
    assert compare.main(["--reference", str(ref), "--update"]) == 0
    assert compare.main(["--reference", str(ref)]) == 0


def test_nothing_to_compare_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NOISECORR_RESULTS", str(tmp_path))
    assert compare.main(["--reference", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith("error: no verdict tables to compare")



def test_both_levels_are_compared_and_wider_intervals_are_marked(tmp_path):
    cols = ["claim", "source", "ours", "estimate", "lo", "hi", "figure verdict", "finding verdict"]
    ref, new = tmp_path / "ref", tmp_path / "new"
    ref.mkdir()
    new.mkdir()
    pd.DataFrame([["two MLPs agree", "81%", "", 0.4, 0.35, 0.45, "fell short", "holds"]], columns=cols).to_csv(
        ref / "noise_verdicts.csv")
    pd.DataFrame([["two MLPs agree", "81%", "", 0.4, 0.30, 0.50, "fell short", "undecided"]], columns=cols).to_csv(
        new / "noise_verdicts.csv")
    table = compare.compare(new, ref)
    assert not table.agrees.iloc[0]
    text = compare.render(table)
    assert "finding holds -> undecided" in text and "CI width 0.1 -> 0.2 (WIDER)" in text
