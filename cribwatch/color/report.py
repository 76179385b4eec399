"""Results tables of colour methods, written into docs/results/color.md between markers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cribwatch.color.api import WEIGHTS, check_method, check_writable, default_weights
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_open, read_json_object, read_text, write_json
from cribwatch.progress import Progress

TABLE_KEYS = (
    "cf_pred",
    "cf_gt",
    "dcf",
    "psnr",
    "ssim",
    "de00",
    "de00_changed",
    "de00_static",
    "de00_raw",
    "ms_per_frame",
)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """A markdown table: one row per method summary."""
    head = "| method | n | " + " | ".join(TABLE_KEYS) + " |"
    sep = "| --- " * (len(TABLE_KEYS) + 2) + "|"
    lines = [head, sep]
    for r in rows:
        cells = []
        for k in TABLE_KEYS:
            v = r.get(k)
            cells.append("n/a" if v is None else f"{v:.3f}" if k in ("ssim",) else f"{v:.2f}")
        lines.append(f"| {r['method']} | {r['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replace_section(doc: Path, marker: str, body: str) -> None:
    """Replace the text between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    text = read_text(doc) if doc.exists() else ""
    check_markers(doc, text, marker)
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(
            re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S
        )
    elif start in text or end in text:
        raise CribwatchError(f"{doc}: only one of the {marker} markers is present")
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with atomic_open(doc) as fh:
        fh.write(text)


def check_markers(doc: Path, text: str, marker: str) -> None:
    """Refuse a document holding one of the two section markers but not the other."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if (start in text) != (end in text):
        raise CribwatchError(f"{doc}: only one of the {marker} markers is present")


def _weights_key(method: str) -> str:
    """Hash of the shipped weights a method uses ('' for the baselines)."""
    base = method.partition("@")[0]
    names = ["ref", "auto"] if base == "blend" else [base] if base in WEIGHTS else []
    h = hashlib.sha256()
    for n in names:
        h.update(default_weights(n).read_bytes())
    return h.hexdigest()[:16] if names else ""


def cached_eval(
    folder: Path, method: str, cache: Path | None, progress: Progress | None = None
) -> dict[str, Any]:
    """Evaluate (or reuse a cached result keyed by set, method and weights hash)."""
    from cribwatch.color.eval import evaluate, json_ready  # extra: train

    key = f"{folder.resolve().name}-{method.replace('@', '_')}-{_weights_key(method)}.json"
    if cache is not None and (cache / key).is_file():
        cached = read_json_object(cache / key)
        return {k: v for k, v in cached.items() if k != "written_by"}
    row: dict[str, Any] = json_ready(evaluate(folder, method, progress=progress))
    if cache is not None:
        write_json(cache / key, {**row, "written_by": OUTPUT_MARK})
    return row


def write_report(
    data: Path,
    methods: Sequence[str],
    doc: Path,
    *,
    ood: Path | None = None,
    marker: str = "color",
    title: str = "Night colorization",
    cache: Path | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """``cribwatch color report``: evaluate ``methods`` on ``data`` (and ``ood``) and write the
    metrics tables into the section ``marker`` of ``doc``. The document is read (UTF-8, both
    markers or neither) and its folder probed for writing before any evaluation. Returns the
    rows (one per set and method)."""
    for m in methods:
        check_method(m)
    if not doc.parent.exists():
        raise CribwatchError(f"{doc.parent}: folder not found")
    if doc.exists():
        check_markers(doc, read_text(doc), marker)
    check_writable(doc)
    cmd = f"cribwatch color report --data {data} --methods {','.join(methods)}"
    cmd += f" --ood {ood}" if ood else ""
    cmd += f" --marker {marker}" if marker != "color" else ""
    cmd += f' --title "{title}"' if title != "Night colorization" else ""
    parts = [f"## {title}\n\nProduced by `{cmd}`.\n"]
    sets = [("Held-out pairs", data)] + ([("Out-of-range night simulator", ood)] if ood else [])
    out: list[dict[str, Any]] = []
    for heading, folder in sets:
        rows = [cached_eval(folder, m, cache, progress) for m in methods]
        parts.append(f"### {heading}: `{folder}` (n = {rows[0]['n']})\n\n{markdown_table(rows)}\n")
        out.extend(rows)
    replace_section(doc, marker, "\n".join(parts))
    return out
