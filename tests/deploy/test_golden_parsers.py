"""Property tests of the golden-vector readers (issue 28): whatever a manifest or a tensor file
holds, reading it either works or raises CribwatchError (one line), never anything else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cribwatch.deploy.golden import Tensor, compare, load_npy, write_golden
from cribwatch.errors import CribwatchError

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)
KEYS = ("format", "version", "samples", "tensors", "model_sha256")


def _manifests() -> st.SearchStrategy[object]:
    entry = st.fixed_dictionaries(
        {},
        optional={
            "name": JSON | st.sampled_from(["x", "y"]),
            "file": JSON | st.sampled_from(["x", "../x", "y"]),
            "shape": JSON | st.lists(st.integers(-2, 3), max_size=3),
            "dtype": JSON | st.sampled_from(["float32", "int8", "bogus"]),
        },
    )
    return JSON | st.fixed_dictionaries(
        {"format": st.just("cribwatch-golden")},
        optional={
            "samples": JSON | st.lists(st.sampled_from(["s000", "s001", "..", ""]), max_size=3),
            "tensors": JSON | st.lists(entry, max_size=3),
            "model_sha256": JSON,
        },
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=_manifests())
def test_any_manifest_is_read_or_refused(manifest: object) -> None:
    with tempfile.TemporaryDirectory() as td:
        good = Path(td) / "good"
        write_golden(good, [[Tensor("x", np.ones((2, 2), np.float32))]], "m", "0")
        bad = Path(td) / "bad"
        bad.mkdir()
        (bad / "manifest.json").write_text(json.dumps(manifest))
        for g, a in ((bad, good), (good, bad)):
            try:
                res = compare(g, a, check_model=False)
            except CribwatchError as exc:
                assert "\n" not in exc.message
            else:
                assert isinstance(res, dict)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_npy_bytes_load_or_are_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as td:
        p = Path(td) / "a.npy"
        p.write_bytes(data)
        try:
            arr = load_npy(p)
        except CribwatchError as exc:
            assert "a.npy" in exc.message
        else:
            assert isinstance(arr, np.ndarray)
