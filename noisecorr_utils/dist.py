"""A published copy of a built book: ``dist/noisecorr-book-<profile>-<commit>.tar.gz``, the
self-contained HTML (it opens offline from the unpacked folder, or with ``make serve``) and a
manifest of the sha256 of every result table behind it.

    python -m noisecorr_utils.dist --profile quick      # after make book PROFILE=quick
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

from . import build, results
from .paths import ROOT, atomic_path


def manifest(profile: str) -> dict:
    """The commit, the profile and the sha256 of every result table of the build."""
    tables = sorted(results.table_path(profile, "x").parent.glob("*.csv"))
    return {"profile": profile, "commit": build._git_commit(),
            "tables": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tables}}


def archive(profile: str, out_dir: Path = ROOT / "dist") -> Path:
    """Write the archive of the book built with ``profile``; BuildError if there is none."""
    html = build.html_dir(profile)
    if not (html / "index.html").exists():
        raise build.BuildError(f"no {profile} book in {html}; build it first: make book PROFILE={profile}")
    info = manifest(profile)
    name = f"noisecorr-book-{profile}-{info['commit'][:12]}"
    target = out_dir / f"{name}.tar.gz"
    with atomic_path(target) as tmp:
        with tarfile.open(tmp, "w:gz") as tar:
            tar.add(html, arcname=name)
            blob = json.dumps(info, indent=1).encode()
            entry = tarfile.TarInfo(f"{name}/MANIFEST.json")
            entry.size = len(blob)
            tar.addfile(entry, io.BytesIO(blob))
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m noisecorr_utils.dist")
    parser.add_argument("--profile", default="full", help="the profile whose built book is packed (default full)")
    args = parser.parse_args(argv)
    try:
        path = archive(args.profile)
    except build.BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
