"""Property tests of the keypoint-sequence reader and the set readers (issue 28): whatever a file
holds, reading it either gives finite arrays or raises CribwatchError, never anything else (no
other exception, no numpy warning)."""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cribwatch.errors import CribwatchError
from cribwatch.rollover.eval import evaluate
from cribwatch.rollover.pose import read_sequence

NUMBER = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 15, 1e300, -1e300, 1e-300, 10**400, -(10**400)]),
)
VALUE = st.one_of(NUMBER, st.none(), st.booleans(), st.text(max_size=4))
ROW = st.one_of(st.lists(NUMBER, min_size=3, max_size=3), st.lists(VALUE, max_size=4), VALUE)
HEADER = {"format": "cribwatch-keypoints", "version": 1, "fps": 15, "width": 320, "height": 240,
          "layout": "coco17"}  # fmt: skip
GOOD_KP = [[100.0 + i, 80.0 + i, 0.9] for i in range(17)]


def _header() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {}, optional={"fps": VALUE, "width": VALUE, "height": VALUE, "version": VALUE}
    ).map(lambda d: {**HEADER, **d})


def _frame() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {"frame": st.integers(0, 5), "t": NUMBER},
        optional={
            "kp": st.one_of(st.just(GOOD_KP), st.lists(ROW, min_size=17, max_size=17), VALUE),
            "posture": st.sampled_from(["supine", "prone", "bogus", None]),
        },
    )


def _line(obj: object) -> str:
    return json.dumps(obj, allow_nan=True)


def _read(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.jsonl"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                seq = read_sequence(p)
            except CribwatchError as exc:
                assert "\n" not in exc.message and str(p) in exc.message
                return
    assert math.isfinite(seq.fps) and seq.fps > 0
    assert np.all(np.isfinite(seq.t)) and np.all(np.diff(seq.t) >= 0)
    assert seq.kp.dtype == np.float32 and np.all(np.isfinite(seq.kp))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=_header(), frames=st.lists(_frame(), max_size=5))
def test_any_sequence_reads_or_fails_with_one_line(
    header: dict[str, object], frames: list[dict[str, object]]
) -> None:
    _read("\n".join(_line(o) for o in [header, *frames]) + "\n")


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_read_or_fail_with_one_line(data: bytes) -> None:
    _read(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(st.text(alphabet="abcprone_s.0123456789-naif", max_size=10), max_size=4),
        max_size=4,
    ),
    header=st.sampled_from(["file\ttime\tevent", "file\ttime", ""]),
)
def test_any_events_table_scores_or_fails_with_one_line(rows: list[list[str]], header: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        lines = [_line(HEADER)] + [
            _line({"frame": i, "t": i / 15, "kp": GOOD_KP}) for i in range(5)
        ]
        (root / "s.jsonl").write_text("\n".join(lines) + "\n")
        body = [header] + ["\t".join(r) for r in rows]
        (root / "events.tsv").write_text("\n".join(body) + "\n")
        try:
            res = evaluate(root)
        except CribwatchError as exc:
            assert "\n" not in exc.message and "events.tsv" in exc.message
            return
    assert res["files"] == 1
