"""The YAMNet window caches of the verifier's training sets: a second call reads back exactly
what the first computed, and a cache written for other files is ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from cribwatch.cry.dataset import load_set  # noqa: E402
from cribwatch.cry.verifier_train import set_class_scores, set_embeddings  # noqa: E402
from tests.cry.test_synth_and_train import make_tiny_set  # noqa: E402


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_caches_read_back_what_was_computed(tmp_path: Path) -> None:
    make_tiny_set(tmp_path / "set", n_files=2)
    s = load_set(tmp_path / "set")
    first = set_class_scores(s, tag="t")
    assert any((tmp_path / "set" / ".cache").iterdir())
    again = set_class_scores(s, tag="t")
    fresh = set_class_scores(s, tag="t", cache=False)
    for x, y, z in zip(first, again, fresh, strict=True):
        assert _same(x, y) and _same(x, z)
    emb = set_embeddings(s, tag="t")
    emb_again = set_embeddings(s, tag="t")
    for x, y in zip(emb, emb_again, strict=True):
        assert _same(x, y)
    assert _same(emb[0], first[0])  # the same scores either way
    assert emb[1][s.files[0]].shape[1] == 1024


def test_onnx_embedding_cache_keeps_the_float_embedding(tmp_path: Path) -> None:
    from cribwatch.cry.audio import read_audio
    from cribwatch.cry.yamnet import ONNX_WEIGHTS, WEIGHTS, Yamnet, window_patches

    make_tiny_set(tmp_path / "set", n_files=1)
    s = load_set(tmp_path / "set")
    f = s.files[0]
    sc, em, done = set_embeddings(s, model=ONNX_WEIGHTS, tag="t")
    assert em[f].dtype == np.float32 and done[f].all()
    assert not np.allclose(em[f], np.rint(em[f]))  # not truncated to integer codes
    p = window_patches(read_audio(s.audio_path(f)), 8000, len(done[f]))
    assert np.allclose(em[f], Yamnet(ONNX_WEIGHTS, embedding=True).embed(p)[1])
    again = set_embeddings(s, model=ONNX_WEIGHTS, tag="t")
    assert np.array_equal(again[1][f], em[f])
    tfl = set_embeddings(s, model=WEIGHTS, tag="t")
    assert tfl[1][f].dtype == np.uint8
