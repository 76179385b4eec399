"""The independent real test set builder on a fake corpus (no data/ needed)."""

import numpy as np

from cribwatch.cry.audio import write_wav
from cribwatch.cry.dataset import load_set
from cribwatch.cry.sounds import build_real_set
from cribwatch.cry.sources import read_cry_train_list

from .conftest import harmonic


def test_real_set_uses_only_unlisted_recordings(tmp_path):
    data = tmp_path / "data"
    donate = data / "donateacry"
    listed_path, listed_uuid = read_cry_train_list()[0]
    cry = np.concatenate([np.zeros(4000, np.float32), harmonic(450, 2.0)[::2]])
    # a listed recording, an unlisted one of a listed app instance, and a new one
    for rel in (
        listed_path,
        f"x/hungry/{listed_uuid}-1430000000-1.0-m-26-hu.wav",
        "x/hungry/00000000-1111-2222-3333-444444444444-1430000000-1.0-f-04-hu.wav",
    ):
        (donate / rel).parent.mkdir(parents=True, exist_ok=True)
        write_wav(donate / rel, cry, sr=8000)
    speech = data / "debian" / "asterisk-core-sounds-en-wav" / "en"
    music = data / "debian" / "asterisk-moh-opsound-wav" / "moh"
    speech.mkdir(parents=True)
    music.mkdir(parents=True)
    for i in range(3):
        write_wav(speech / f"p{i}.wav", harmonic(150 + 20 * i, 2.0)[::2], sr=8000)
    write_wav(music / "m.wav", harmonic(220, 4.0)[::2], sr=8000)
    man = build_real_set(tmp_path / "real", data_dir=data, cryfree_file_s=5.0)
    s = load_set(tmp_path / "real")
    assert man["real_cry_recordings"] == 1 and len(s.labels) == 1
    ((name, spans),) = s.labels.items()
    on, off = spans[0]
    assert abs(on - (2.0 + 0.5)) < 0.05 and abs(off - (2.0 + 2.5)) < 0.05
    assert s.cries[name][0]["source"] == "real"
    free = [f for f in s.files if f.startswith("free_")]
    assert len(free) >= 2 and all(f not in s.labels for f in free)
    kinds = sorted(k for f in free for _, _, k in s.noise[f])
    assert kinds == ["music", "speech", "speech", "speech"]
    srcs = sorted(src for f in free for _, _, src in s.sources[f])
    assert srcs == ["en/p0.wav", "en/p1.wav", "en/p2.wav", "moh/m.wav"]
    assert all(s.channels[f]["band"] == "8k" for f in s.files)
    # 6.5 s of cry file, 10 s of prompts and music, four gaps of 0.5-3 s
    assert 6.5 + 10.0 + 2.0 <= float(man["hours"]) * 3600 <= 6.5 + 10.0 + 12.0 + 0.01


def test_fit_and_val_divide_the_train_sources(tmp_path):
    import pytest

    from cribwatch.cry.sources import SPLITS, _hash01, in_split, real_cry_files, uuid_of
    from cribwatch.errors import CribwatchError

    for h in np.linspace(0, 0.999, 500):
        assert in_split(h, "train") != in_split(h, "test")
        assert in_split(h, "train") == (in_split(h, "fit") or in_split(h, "val"))
        assert not (in_split(h, "fit") and in_split(h, "val"))
    with pytest.raises(CribwatchError):
        in_split(0.5, "dev")
    assert SPLITS == ("train", "test", "fit", "val")
    donate = tmp_path / "donateacry"
    tiny = np.zeros(800, np.float32)
    for rel, _ in read_cry_train_list():
        (donate / rel).parent.mkdir(parents=True, exist_ok=True)
        write_wav(donate / rel, tiny, sr=8000)
    parts = {s: {f.name for f in real_cry_files(donate, s)} for s in ("train", "fit", "val")}
    assert parts["fit"] and parts["val"]
    assert parts["fit"] | parts["val"] == parts["train"] and not parts["fit"] & parts["val"]
    uu = {s: {uuid_of(n) for n in parts[s]} for s in ("fit", "val")}
    assert not uu["fit"] & uu["val"]  # split by app instance
    assert all(in_split(_hash01("uuid:" + u.lower()), "val") for u in uu["val"])
    assert not {uuid_of(f.name) for f in real_cry_files(donate, "test")} & (uu["fit"] | uu["val"])


def test_source_pool_says_where_each_recording_lies(tmp_path):
    """sources.tsv: every background and event lists the recordings it is made of."""
    from collections import OrderedDict

    from cribwatch.cry.audio import SR
    from cribwatch.cry.sources import SourcePool, shift_parts

    d = tmp_path / "animals"
    d.mkdir()
    for i in range(3):
        write_wav(d / f"a{i}.wav", harmonic(300 + 50 * i, 1.0))
    pool = object.__new__(SourcePool)  # no Debian packages needed for these kinds
    pool.files = {"animal": sorted(d.glob("*.wav")), "music": sorted(d.glob("*.wav"))}
    pool.cache, pool.cache_items, pool.last_parts, pool._draws = OrderedDict(), 8, [], 0
    rng = np.random.default_rng(0)
    n = 10 * SR
    x = pool.bed("animal", n, rng)
    parts = pool.last_parts
    assert len(parts) >= 2
    for a, m, name in parts:
        assert 0 <= a and a + m <= n and name.startswith("animals/a")
        assert np.abs(x[a : a + m]).max() > 0.1  # the recording is where it is listed
    pool.bed("fan", n, rng)
    assert pool.last_parts == [(0, n, "synth:fan:1")]
    pool.bed("music", n - SR // 2, rng)  # ten 1 s tracks, the last one cut in half
    assert sum(m for _, m, _ in pool.last_parts) == n - SR // 2
    assert max(a + m for a, m, _ in pool.last_parts) == n - SR // 2
    assert shift_parts([(0, 100, "a"), (150, 100, "b")], 1000, 120) == [(1000, 100, "a")]
