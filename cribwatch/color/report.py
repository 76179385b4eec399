"""Results tables of colour methods, written into docs/RESULTS.md between markers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_open

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
    text = doc.read_text() if doc.exists() else ""
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
