"""The Donate-a-cry corpus (https://github.com/gveres/donateacry-corpus): real infant cries.

``cribwatch data fetch --donateacry DIR`` copies the cleaned 8 kHz WAV recordings
(``donateacry_corpus_cleaned_and_updated_data/<reason>/*.wav``) from a local clone ``DIR``
(a working tree or a bare git directory) into ``DEST/donateacry/``; without ``DIR`` it tries
``git clone`` of the public repository. Training uses only the recordings listed in
``cribwatch/cry/donateacry-train.tsv`` (columns ``path``, ``uuid``); every other recording of
the corpus is test data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from cribwatch.errors import CribwatchError

REPO_URL = "https://github.com/gveres/donateacry-corpus"
CLEANED = "donateacry_corpus_cleaned_and_updated_data"
"""The corpus folder holding the cleaned WAV recordings, one sub-folder per reason."""
HOW_TO = (
    f"clone {REPO_URL} yourself (git clone {REPO_URL} DIR) and run "
    "'cribwatch data fetch --only sounds --donateacry DIR'"
)


def _copy_tree(src_root: Path, out: Path) -> int:
    n = 0
    for f in sorted((src_root / CLEANED).rglob("*.wav")):
        rel = f.relative_to(src_root)
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            shutil.copyfile(f, dst)
        n += 1
    return n


def _git(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", *args], capture_output=True, check=False, timeout=180, env=env)


def fetch_donateacry(
    dest: Path, local: Path | None = None, progress: Callable[[str], None] = print
) -> Path:
    """Bring the corpus's cleaned recordings to ``dest/donateacry``; returns that folder."""
    out = dest / "donateacry"
    marker = out / ".complete"
    if marker.exists():
        progress("donateacry: already present")
        return out
    out.mkdir(parents=True, exist_ok=True)
    if local is not None:
        if not local.exists():
            raise CribwatchError(f"{local}: no such folder (want a clone of {REPO_URL})")
        if (local / CLEANED).is_dir():
            n = _copy_tree(local, out)
        else:
            if shutil.which("git") is None:
                raise CribwatchError(f"{local}: not a working tree and git is not installed")
            with tempfile.TemporaryDirectory() as tmp:
                arch = Path(tmp) / "c.tar"
                res = _git(["-C", str(local), "archive", "-o", str(arch), "HEAD", CLEANED])
                if res.returncode != 0:
                    raise CribwatchError(f"{local}: not a clone of {REPO_URL}")
                subprocess.run(["tar", "-xf", str(arch), "-C", tmp], check=True)
                n = _copy_tree(Path(tmp), out)
    else:
        if shutil.which("git") is None:
            raise CribwatchError(f"donateacry: git is not installed; {HOW_TO}")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                res = _git(["clone", "--depth", "1", REPO_URL, str(Path(tmp) / "c")])
            except subprocess.TimeoutExpired:
                raise CribwatchError(f"donateacry: git clone timed out; {HOW_TO}") from None
            if res.returncode != 0:
                raise CribwatchError(f"donateacry: git clone failed; {HOW_TO}")
            n = _copy_tree(Path(tmp) / "c", out)
    if n == 0:
        raise CribwatchError(f"donateacry: no recordings found under {CLEANED}/; {HOW_TO}")
    marker.write_text(f"{n}\n")
    progress(f"donateacry: {n} recordings in {out}")
    return out
