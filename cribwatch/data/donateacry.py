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
from pathlib import Path

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_dir

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


def check_local_clone(local: Path) -> Path:
    """Refuse a ``--donateacry`` path that cannot be a clone of the corpus: missing, not a
    folder, or neither a working tree (with the cleaned-data folder) nor a git directory."""
    if not local.exists():
        raise CribwatchError(f"--donateacry {local}: no such folder (want a clone of {REPO_URL})")
    if not local.is_dir():
        raise CribwatchError(f"--donateacry {local}: not a folder (want a clone of {REPO_URL})")
    if (local / CLEANED).is_dir():
        return local
    if (local / ".git").exists() or (local / "HEAD").is_file():
        if shutil.which("git") is None:
            raise CribwatchError(
                f"--donateacry {local}: not a working tree and git is not installed"
            )
        return local
    raise CribwatchError(
        f"--donateacry {local}: not a clone of {REPO_URL} (no {CLEANED}/ and no git directory)"
    )


def fetch_donateacry(dest: Path, local: Path | None = None) -> str:
    """Bring the corpus's cleaned recordings to ``dest/donateacry`` (written whole: a failed or
    killed copy leaves nothing there); returns the one-line outcome."""
    out = dest / "donateacry"
    if (out / ".complete").exists():
        return "donateacry: already present"
    if local is not None:
        check_local_clone(local)
    elif shutil.which("git") is None:
        raise CribwatchError(f"donateacry: git is not installed; {HOW_TO}")
    with atomic_dir(out, force=True, option="--dest") as tmp_out:
        if local is not None and (local / CLEANED).is_dir():
            n = _copy_tree(local, tmp_out)
        elif local is not None:
            with tempfile.TemporaryDirectory() as tmp:
                arch = Path(tmp) / "c.tar"
                res = _git(["-C", str(local), "archive", "-o", str(arch), "HEAD", CLEANED])
                if res.returncode != 0:
                    raise CribwatchError(f"--donateacry {local}: not a clone of {REPO_URL}")
                untar = subprocess.run(["tar", "-xf", str(arch), "-C", tmp], capture_output=True)
                if untar.returncode != 0:
                    raise CribwatchError(f"--donateacry {local}: git archive unreadable")
                n = _copy_tree(Path(tmp), tmp_out)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    res = _git(["clone", "--depth", "1", REPO_URL, str(Path(tmp) / "c")])
                except subprocess.TimeoutExpired:
                    raise CribwatchError(f"donateacry: git clone timed out; {HOW_TO}") from None
                if res.returncode != 0:
                    raise CribwatchError(f"donateacry: git clone failed; {HOW_TO}")
                n = _copy_tree(Path(tmp) / "c", tmp_out)
        if n == 0:
            raise CribwatchError(f"donateacry: no recordings found under {CLEANED}/; {HOW_TO}")
        (tmp_out / ".complete").write_text(f"{n}\n")
    return f"donateacry: {n} recordings in {out}"
