"""Rewrite every notebook's parameter cell from its chapter's ``Params`` (the one source of the
parameters, their defaults and their help); ``tests/test_chapters.py`` checks they agree.

    .venv/bin/python scripts/parameter_cells.py
"""
import nbformat

from noisecorr_utils import profiles

for path in profiles.notebooks():
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    source = profiles.study(profiles.chapter_of(path.stem)).Params.parameter_cell()
    if cell.source != source:
        cell.source = source
        nbformat.write(nb, path)
        print(f"rewrote the parameter cell of {path.name}")
