"""Torch-free detector entry point: ``python -m cribwatch.cry.lean MODEL [CONFIG.json]``.

Reads raw 16 kHz mono s16le PCM on stdin and prints one JSON line per detected cry, like
``cribwatch cry detect - --json``, but imports only numpy, scipy and (for ``.onnx`` models)
ONNX Runtime: this is what ``cribwatch cry bench`` measures the detector's peak RSS with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cribwatch.cry.postprocess import FilterConfig
from cribwatch.cry.stream import StreamDetector, pcm_blocks
from cribwatch.errors import CribwatchError


def main(argv: list[str]) -> int:
    if not argv:
        print(
            "usage: python -m cribwatch.cry.lean MODEL.cwq|MODEL.onnx [CONFIG.json]",
            file=sys.stderr,
        )
        return 2
    try:
        model = Path(argv[0])
        if model.suffix == ".onnx":
            from cribwatch.cry.stream import OnnxScorer

            scorer = OnnxScorer(model)
        else:
            from cribwatch.cry.intref import IntScorer

            scorer = IntScorer.load(model)  # type: ignore[assignment]
        cfg = FilterConfig()
        if len(argv) > 1:
            d = json.loads(Path(argv[1]).read_text())
            cfg = FilterConfig.from_dict(d.get("detector", d))
        det = StreamDetector(scorer, cfg)
        for b in pcm_blocks(sys.stdin.buffer):
            for ev in det.push(b):
                print(json.dumps(ev.to_dict()), flush=True)
        for ev in det.flush():
            print(json.dumps(ev.to_dict()), flush=True)
    except CribwatchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
