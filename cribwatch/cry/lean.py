"""Torch-free detector entry point: ``python -m cribwatch.cry.lean MODEL [CONFIG.json]``.

Reads raw 16 kHz mono s16le PCM on stdin and prints one JSON line per detected cry, like
``cribwatch cry detect FILE --json`` prints whole events, but imports only numpy, scipy and (for
``.onnx`` models) ONNX Runtime: this is what ``cribwatch cry bench`` measures the detector's
peak RSS with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cribwatch.cry.api import CryDetector, End, Message
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.stream import pcm_blocks
from cribwatch.errors import CribwatchError

USAGE = "usage: python -m cribwatch.cry.lean MODEL.cwq|MODEL.onnx [CONFIG.json]"


def lean(argv: list[str]) -> None:
    """Stream stdin through the detector of ``MODEL`` (and ``CONFIG``); print whole events."""
    if not argv or len(argv) > 2:
        raise CribwatchError(USAGE)
    model = Path(argv[0])
    if model.suffix.lower() not in (".cwq", ".onnx"):
        raise CribwatchError(f"{model}: the lean detector runs .cwq or .onnx models only")
    if len(argv) > 1:
        det = CryDetector(model, Path(argv[1]))
    else:  # no config: the default chain (as before), not the model's card
        det = CryDetector(model, filter_config=FilterConfig())
    for b in pcm_blocks(sys.stdin.buffer):
        _print(det.push(b))
    _print(det.close())


def _print(msgs: list[Message]) -> None:
    for m in msgs:
        if isinstance(m, End):
            print(json.dumps(m.event.to_dict()), flush=True)


if __name__ == "__main__":
    from cribwatch import clikit

    clikit.run(lean, sys.argv[1:])
