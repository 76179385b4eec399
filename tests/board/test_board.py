"""The C board runtime against Python: golden equality, events, refusals, sanitizers."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cribwatch.board.blob import VERSION, fix_crc
from cribwatch.board.build import TEST_SOURCES, build_program, have_cross
from cribwatch.board.check import c_trace, compare_windows
from cribwatch.cry.api import DEFAULT_WEIGHTS
from cribwatch.cry.board import DEMO_AUDIO, CheckConfig, check, python_trace
from cribwatch.cry.board_export import model_blob
from cribwatch.cry.intref import IntModel
from cribwatch.cry.postprocess import FilterConfig
from cribwatch.deploy.quantize import requantize

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")

INT8 = DEFAULT_WEIGHTS.with_name("cry_int8.cwq")
INT4 = DEFAULT_WEIGHTS.with_name("cry_int4.cwq")


@pytest.fixture(scope="module")
def host() -> Path:
    return build_program("host")


@pytest.fixture(scope="module")
def asan() -> Path:
    """cw_cry with AddressSanitizer and UBSan (-fno-sanitize-recover: any finding aborts)."""
    return build_program("sanitize")


@pytest.fixture(scope="module")
def asan_test() -> Path:
    return build_program("sanitize", "cw_test", TEST_SOURCES)


@pytest.fixture(scope="module")
def blob(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("blob") / "cry_model.cwb"
    p.write_bytes(model_blob(IntModel.load(INT8), FilterConfig()))
    return p


@pytest.fixture(scope="module")
def short_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 s of the demo sample (one cry bout), as a 16-bit WAV."""
    x, sr = sf.read(str(DEMO_AUDIO), dtype="int16")
    p = tmp_path_factory.mktemp("audio") / "short.wav"
    sf.write(str(p), x[: 12 * sr], sr, subtype="PCM_16")
    return p


def _run(cmd: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=900)  # hangs only


def test_host_check_bit_exact_and_same_events() -> None:
    res = check("host", INT8, DEMO_AUDIO, cfg=CheckConfig(windows=4))
    assert res["pass"], res["first_divergent"]
    names = [r["name"] for r in res["tensors"]]  # type: ignore[union-attr]
    assert names[:4] == ["wave", "logmel", "input", "q0"] and names[-1] == "score"
    assert all(r["max_abs"] == 0 for r in res["tensors"] if r["name"].startswith("q"))  # type: ignore[union-attr]
    assert res["windows"]["equal"] and res["windows"]["windows"] == 39  # type: ignore[index]
    assert res["windows"]["voiced_share_differs"] == 0  # type: ignore[index]
    # lazy pitch analysis (rhythm off in the shipped config): only windows that need the share
    assert res["windows"]["voiced_share_missing"] == 0  # type: ignore[index]
    assert 0 < res["windows"]["voiced_share_compared"] < 39  # type: ignore[index,operator]
    ev = res["events"]
    assert ev["equal"] and len(ev["python"]) >= 2  # type: ignore[index]
    assert ev["alerts"] == ev["ends"] >= 1 and ev["alert_before_end"]  # type: ignore[index]
    assert [m["type"] for m in ev["c"]] == ["alert", "end"] * ev["alerts"]  # type: ignore[index]
    cont = res["continuous_cry"]
    assert cont["pass"] and cont["decisions_equal"] and cont["windows_equal"]  # type: ignore[index]
    # 30 s of crying after 2 s of quiet: known within seconds, ended only with the stream
    assert cont["alert_at_s"] <= 5.0 and cont["end_at_s"] >= 30.0  # type: ignore[index,operator]
    assert [m["type"] for m in cont["c"]] == ["alert", "end"]  # type: ignore[index]


def test_onset_lookback_same_events_as_python() -> None:
    """The onset look-back (second, lower score threshold) moves onsets back, identically in C."""
    from dataclasses import replace

    base = replace(FilterConfig(threshold=0.9), onset_shift_s=0.1)
    back = replace(base, onset_lookback_s=3.0, onset_low=0.05, onset_back_shift_s=0.25)
    cfg = CheckConfig(windows=1)
    r0 = check("host", INT8, DEMO_AUDIO, filters=base, cfg=cfg)
    r1 = check("host", INT8, DEMO_AUDIO, filters=back, cfg=cfg)
    for r in (r0, r1):
        assert r["events"]["equal"] and r["events"]["python"], r["events"]  # type: ignore[index]
    on0 = [e["onset"] for e in r0["events"]["python"]]  # type: ignore[index]
    on1 = [e["onset"] for e in r1["events"]["python"]]  # type: ignore[index]
    assert len(on0) == len(on1)
    assert all(b <= a for a, b in zip(on0, on1, strict=True)) and on1 != on0


def test_sustain_low_same_events_as_python() -> None:
    """Score hysteresis (sustain_low): the C chain starts and continues bouts like Python."""
    from dataclasses import replace

    # the demo's int8 scores flicker between 0.94 and 1.0 over its cries
    base = replace(FilterConfig(threshold=0.995), k_on=1, n_on=1, m_off=1)
    hyst = replace(base, sustain_low=0.9)
    cfg = CheckConfig(windows=1)
    r0 = check("host", INT8, DEMO_AUDIO, filters=base, cfg=cfg)
    r1 = check("host", INT8, DEMO_AUDIO, filters=hyst, cfg=cfg)
    for r in (r0, r1):
        assert r["events"]["equal"] and r["events"]["python"], r["events"]  # type: ignore[index]
    assert r1["events"]["python"] != r0["events"]["python"]  # type: ignore[index]


def test_smaller_hop_same_windows_and_events_as_python() -> None:
    """Windows every 0.2 s (five a second), rhythm check on: the C chain sees the same
    windows (score, level, voiced share) and gives the same events as Python."""
    from dataclasses import replace

    cfg = replace(FilterConfig(threshold=0.9, hop_s=0.2), k_on=3, n_on=3, m_off=15)
    r = check("host", INT8, DEMO_AUDIO, filters=cfg, cfg=CheckConfig(windows=1))
    assert r["windows"]["equal"] and r["windows"]["windows"] == 96  # type: ignore[index]
    # rhythm on: every pitch frame analysed as it completes, every share compared
    assert r["windows"]["voiced_share_compared"] == 96  # type: ignore[index]
    assert r["events"]["equal"] and r["events"]["python"], r["events"]  # type: ignore[index]


@pytest.mark.parametrize("hop_s", [0.5, 0.2])
def test_lazy_pitch_analysis_same_outputs(tmp_path: Path, asan: Path, hop_s: float) -> None:
    """Rhythm off: C analyses the pitch frames only of windows whose voiced share can decide
    (score at the low threshold, past the loudness gate). Forcing every window's analysis
    (--pitch-all) changes no output; every share C computes either way equals Python's, and
    the lazy run lacks none that a decision needs (sanitized build)."""
    from dataclasses import replace

    cfg = replace(
        FilterConfig(threshold=0.9, hop_s=hop_s), enabled=("loudness", "pitch", "smoothing")
    )
    b, wav = tmp_path / "m.cwb", tmp_path / "demo.wav"
    b.write_bytes(model_blob(IntModel.load(INT8), cfg))
    x, sr = sf.read(str(DEMO_AUDIO), dtype="int16")
    sf.write(str(wav), x, sr, subtype="PCM_16")
    lazy = c_trace("host", asan, b, wav)
    full = c_trace("host", asan, b, wav, pitch_all=True)
    py = python_trace(wav, INT8, cfg)
    assert lazy.messages == full.messages == py.messages and lazy.messages
    assert lazy.decisions == full.decisions == py.decisions
    w_lazy = compare_windows(py.windows, lazy.windows)
    w_full = compare_windows(py.windows, full.windows)
    assert w_lazy["equal"] and w_full["equal"], (w_lazy, w_full)
    n = len(py.windows)
    assert w_full["voiced_share_compared"] == n == {0.5: 39, 0.2: 96}[hop_s]
    assert 0 < w_lazy["voiced_share_compared"] < n  # type: ignore[operator]
    for a, f in zip(lazy.windows, full.windows, strict=True):
        assert a["score"] == f["score"] and a["level_db"] == f["level_db"]
        assert a["voiced_share"] is None or a["voiced_share"] == f["voiced_share"]


def test_late_confirmation_alerts_like_python() -> None:
    """A minimum bout of 4 s, 4 quiet windows to stop: a bout is confirmed (alerted) only once
    it has lasted that long, later than its start and, across a gap, later than its `emitted`
    estimate; shorter ones get neither message. C fires each alert at the same stream sample,
    with the same onset and emitted, as StreamDetector's on_alert."""
    from dataclasses import replace

    cfg = replace(FilterConfig(threshold=0.9), min_bout_s=4.0, m_off=4)
    r = check("host", INT8, DEMO_AUDIO, filters=cfg, cfg=CheckConfig(windows=1))
    ev, cont = r["events"], r["continuous_cry"]
    assert r["pass"] and ev["equal"] and cont["pass"], (ev, cont)  # type: ignore[index]
    for d in (ev, cont):
        assert d["c"] and [m["type"] for m in d["c"]] == ["alert", "end"] * (len(d["c"]) // 2)  # type: ignore[index]
    alerts = [d for d in ev["decisions"] if d["trace"] == "alert"]  # type: ignore[index,union-attr]
    # confirmed after the bout's first emitted estimate would allow at the earliest
    assert alerts and all(a["at"] / 16000 >= a["onset"] + 3.0 for a in alerts), alerts
    assert any(a["at"] > a["emitted"] * 16000 for a in alerts), alerts  # 13.0 s, emitted 12.0


def test_alert_line_printed_while_the_stream_is_open(asan: Path, blob: Path) -> None:
    """cw_cry (ASan + UBSan build) on a live stream: the alert line is out while the input is
    still open (the cry goes on), the end line only after the stream ends; the same lines as
    `cry detect -`."""
    import io
    import json
    import select

    from cribwatch.cry.api import detect
    from cribwatch.cry.audio import to_pcm16
    from cribwatch.cry.board import continuous_cry, default_blob

    x = continuous_cry(30.0)
    pcm = to_pcm16(x).astype("<i2").tobytes()
    own = default_blob(blob.parent / "own", INT8)  # the config `cry detect` loads for INT8
    want = [m.to_dict() for m in detect("-", INT8, stdin=io.BytesIO(pcm))]
    head = 8 * 16000 * 2  # 8 s: the bout is confirmed at 3.5 s
    proc = subprocess.Popen(
        [str(asan), "--model", str(own), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(pcm[:head])
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no alert line while the stream is open"
        first = json.loads(proc.stdout.readline())
        proc.stdin.write(pcm[head:])
        proc.stdin.close()
        rest = [json.loads(ln) for ln in proc.stdout.read().splitlines() if ln.strip()]
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert first["type"] == "alert" and [r["type"] for r in rest] == ["end"]
    assert [first, *rest] == want


def test_int4_model_bit_exact(tmp_path: Path, host: Path) -> None:
    from cribwatch.board.check import c_golden
    from cribwatch.cry.golden import dump_cry_golden
    from cribwatch.deploy.golden import compare

    b = tmp_path / "m4.cwb"
    b.write_bytes(model_blob(IntModel.load(INT4), FilterConfig()))
    dump_cry_golden(INT4, DEMO_AUDIO, tmp_path / "g", 3)
    c_golden("host", host, b, tmp_path / "g", tmp_path / "c", 3, own=False)
    res = compare(tmp_path / "g", tmp_path / "c", check_model=False)
    assert res["pass"], res["first_divergent"]


def test_check_names_first_diverging_tensor(tmp_path: Path, host: Path, blob: Path) -> None:
    from cribwatch.board.check import c_golden
    from cribwatch.cry.golden import dump_cry_golden
    from cribwatch.deploy.golden import compare

    dump_cry_golden(INT8, DEMO_AUDIO, tmp_path / "g", 2)
    c_golden("host", host, blob, tmp_path / "g", tmp_path / "c", 2, own=False)
    q = tmp_path / "c" / "s001" / "q5.bin"
    a = np.fromfile(q, dtype=np.int8)
    a[7] = a[7] + 1 if a[7] < 127 else a[7] - 1
    a.tofile(q)
    res = compare(tmp_path / "g", tmp_path / "c", check_model=False)
    assert not res["pass"] and res["first_divergent"] == "q5"


def test_requantization_matches_python(asan_test: Path) -> None:
    rng = np.random.default_rng(4)
    n = 4000
    acc = rng.integers(-(2**24), 2**24, n)
    acc[:200] = rng.integers(-300, 300, 200)
    mult = rng.integers(2**30, 2**31, n)
    shift = rng.integers(-2, 12, n)
    shift[2000:3000] = rng.integers(-30, 32, 1000)  # every right shift 1..62 the loader allows
    # exact ties: acc * M = (2k + 1) * 2^(rs - 1)
    for i in range(200, 400):
        rs = 31 + int(shift[i])
        mult[i] = 2**30
        acc[i] = (2 * int(rng.integers(-50, 50)) + 1) * 2 ** (rs - 31)
    zp = rng.integers(-128, 128, n)
    want = [
        int(requantize(np.array([a]), m, s, int(z))[0])
        for a, m, s, z in zip(acc, mult, shift, zp, strict=True)
    ]
    lines = "".join(
        f"{a} {m} {31 + s} {z} -128 127\n" for a, m, s, z in zip(acc, mult, shift, zp, strict=True)
    )
    res = _run([str(asan_test), "requant"], lines.encode())
    assert res.returncode == 0, res.stderr.decode()
    got = [int(v) for v in res.stdout.split()]
    assert got == want


def _error_line(res: subprocess.CompletedProcess[bytes], what: str) -> str:
    err = res.stderr.decode().strip().splitlines()
    assert res.returncode == 2, res.stderr.decode()
    assert res.stdout == b""
    assert len(err) == 1 and err[0].startswith(f"error: {what}"), err
    return err[0]


def test_bad_models_refused(tmp_path: Path, asan: Path, blob: Path, short_audio: Path) -> None:
    good = blob.read_bytes()
    ver = bytearray(good)
    ver[8:12] = struct.pack("<I", VERSION - 1)  # the previous format (the float front end)
    newer = bytearray(good)
    newer[8:12] = struct.pack("<I", VERSION + 1)
    shape = bytearray(good)
    cases = {
        "truncated": good[: len(good) // 2],
        "header only": good[:12],
        "empty": b"",
        "magic": b"XXXXXXXX" + good[8:],
        "version": fix_crc(bytes(ver)),
        "newer version": fix_crc(bytes(newer)),
        "corrupt": good[:5000] + bytes([good[5000] ^ 0x10]) + good[5001:],
        "trailing": good + b"\0",
    }
    # a consistent CRC over an inconsistent body: one layer more than the file holds
    off = 20 + 4 + 32 + 4
    n_layers = struct.unpack_from("<I", shape, off)[0]
    assert n_layers == len(IntModel.load(INT8).layers)
    struct.pack_into("<I", shape, off, n_layers + 1)
    cases["inconsistent"] = fix_crc(bytes(shape))
    want = {
        "truncated": "truncated",
        "header only": "truncated",
        "empty": "truncated",
        "magic": "bad magic",
        "version": "unsupported model version",
        "newer version": "unsupported model version",
        "corrupt": "checksum",
        "trailing": "inconsistent",
        "inconsistent": "inconsistent",
    }
    for name, data in cases.items():
        p = tmp_path / f"{name.replace(' ', '_')}.cwb"
        p.write_bytes(data)
        line = _error_line(_run([str(asan), "--model", str(p), str(short_audio)]), str(p))
        assert want[name] in line, (name, line)


def test_bad_arguments_refused(tmp_path: Path, asan: Path, blob: Path) -> None:
    """cw_cry's argument parsing: numbers are checked (negative, non-finite, trailing text, out
    of range), values must be present, modes exclusive; one error line naming the option."""
    m = ["--model", str(blob)]
    cases = {
        "--seconds": [
            [*m, "--bench", "full", "--seconds", "-1"],
            [*m, "--bench", "full", "--seconds", "nan"],
            [*m, "--bench", "full", "--seconds", "inf"],
            [*m, "--bench", "full", "--seconds", "1e9"],
            [*m, "--bench", "full", "--seconds", "2s"],
            [*m, "--bench", "full", "--seconds"],
            [*m, "--seconds", "1", str(tmp_path / "a.wav")],
        ],
        "--samples": [
            [*m, "--golden", str(tmp_path), "--out", str(tmp_path / "o"), "--samples", "0"],
            [*m, "--golden", str(tmp_path), "--out", str(tmp_path / "o"), "--samples", "3x"],
            [*m, "--golden", str(tmp_path), "--out", str(tmp_path / "o"), "--samples", "-2"],
        ],
        "--bench": [[*m, "--bench", "fast", "--seconds", "1"]],
        "--model": [["--model"]],
        "--bogus": [[*m, "--bogus"]],
        "cw_cry": [[*m, "--bench", "full", "--seconds", "1", str(tmp_path / "a.wav")]],
    }
    for what, argvs in cases.items():
        for argv in argvs:
            _error_line(_run([str(asan), *argv]), what)
    ok = _run([str(asan), *m, "--bench", "fe", "--seconds", "0.25"])
    assert ok.returncode == 0 and b'"seconds": 0.25' in ok.stdout, ok.stderr.decode()


def _wav(
    path: Path,
    data: bytes,
    *,
    fmt: int = 1,
    ch: int = 1,
    sr: int = 16000,
    bits: int = 16,
    size: int | None = None,
    order: str = "fd",
) -> Path:
    fmt_chunk = b"fmt " + struct.pack(
        "<IHHIIHH", 16, fmt, ch, sr, sr * ch * bits // 8, ch * bits // 8, bits
    )
    data_chunk = b"data" + struct.pack("<I", len(data) if size is None else size) + data
    body = fmt_chunk + data_chunk if order == "fd" else data_chunk + fmt_chunk
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    return path


def test_malformed_audio_refused(tmp_path: Path, asan: Path, blob: Path) -> None:
    pcm = (np.sin(np.arange(20000) * 0.1) * 8000).astype("<i2").tobytes()
    cases = {
        "missing": (tmp_path / "nope.wav", "file not found"),
        "empty": (tmp_path / "empty.wav", "not a WAV"),
        "text": (tmp_path / "text.wav", "not a WAV"),
        "stereo": (_wav(tmp_path / "st.wav", pcm, ch=2), "not mono"),
        "8k": (_wav(tmp_path / "8k.wav", pcm, sr=8000), "sample rate 8000 Hz"),
        "8bit": (_wav(tmp_path / "8b.wav", pcm, bits=8), "16-bit PCM"),
        "float": (_wav(tmp_path / "fl.wav", pcm, fmt=3, bits=32), "encoding"),
        "short data": (_wav(tmp_path / "tr.wav", pcm, size=len(pcm) + 100), "truncated"),
        "odd data": (_wav(tmp_path / "odd.wav", pcm[:-1]), "odd data size"),
        "no samples": (_wav(tmp_path / "none.wav", b""), "no samples"),
        "data first": (_wav(tmp_path / "df.wav", pcm, order="df"), "before fmt"),
        "header cut": (tmp_path / "cut.wav", "truncated fmt chunk"),
        "no data": (tmp_path / "nodata.wav", "no data chunk"),
    }
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("hello, this is not audio at all\n")
    (tmp_path / "cut.wav").write_bytes(_wav(tmp_path / "x.wav", pcm).read_bytes()[:30])
    (tmp_path / "nodata.wav").write_bytes(_wav(tmp_path / "y.wav", pcm).read_bytes()[:36])
    for name, (p, msg) in cases.items():
        line = _error_line(_run([str(asan), "--model", str(blob), str(p)]), str(p))
        assert msg in line, (name, line)
    line = _error_line(_run([str(asan), "--model", str(blob), "-"], pcm + b"\x01"), "stdin")
    assert "odd number of bytes" in line
    _error_line(_run([str(asan), "--model", str(blob), "-"], b""), "stdin")


def test_sanitized_build_same_events_wav_and_stdin(
    host: Path, asan: Path, blob: Path, short_audio: Path
) -> None:
    a = _run([str(host), "--model", str(blob), str(short_audio)])
    b = _run([str(asan), "--model", str(blob), str(short_audio)])
    x, _ = sf.read(str(short_audio), dtype="int16")
    c = _run([str(asan), "--model", str(blob), "-"], x.astype("<i2").tobytes())
    assert a.returncode == b.returncode == c.returncode == 0, b.stderr.decode() + c.stderr.decode()
    assert a.stdout == b.stdout == c.stdout
    assert a.stdout.count(b"\n") >= 1


def test_mutated_models_replay(tmp_path: Path, asan_test: Path, blob: Path) -> None:
    """3,200 mutated model files: 2,400 where every changed one is refused (CRC, size), and
    800 again with the CRC fixed up (so the structural checks are what stands): each is
    refused or runs a window cleanly under ASan/UBSan."""
    good = blob.read_bytes()
    rng = np.random.default_rng(12)
    raw, fixed = [], []
    for i in range(2400):
        b = bytearray(good)
        kind = i % 4
        if kind == 0:  # bit flips
            for _ in range(int(rng.integers(1, 4))):
                j = int(rng.integers(20, len(b)))
                b[j] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # truncation
            b = b[: int(rng.integers(0, len(b)))]
        elif kind == 2:  # a 4-byte field set to an extreme value
            j = int(rng.integers(0, (len(b) - 4) // 4)) * 4
            b[j : j + 4] = struct.pack(
                "<I", int(rng.choice([0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 65536]))
            )
        else:  # random bytes over a span
            j = int(rng.integers(20, len(b) - 8))
            n = int(rng.integers(1, 8))
            b[j : j + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        raw.append(bytes(b))
        if len(b) >= 20 and bytes(b) != good and i < 800:
            fixed.append(fix_crc(bytes(b)))
    f_raw, f_fix = tmp_path / "raw.bin", tmp_path / "fixed.bin"
    for path, items in ((f_raw, raw), (f_fix, fixed)):
        with open(path, "wb") as fh:
            for it in items:
                fh.write(struct.pack("<I", len(it)) + it)
    import json

    r = _run([str(asan_test), "replay", str(f_raw)])
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    d = json.loads(r.stdout)
    changed = sum(1 for it in raw if it != good)
    assert d["total"] == 2400 and d["ok"] == 2400 - changed  # every changed file refused
    assert d["order_errors"] == 0
    r = _run([str(asan_test), "replay", str(f_fix)])
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    d = json.loads(r.stdout)
    assert d["total"] == len(fixed) and d["status"][4] == 0  # CRC valid: never a checksum error
    assert d["ok"] > 0 and d["total"] - d["ok"] > 0  # both outcomes exercised
    assert d["order_errors"] == 0  # every event after exactly one alert of its bout


def test_export_cli_and_embedded_header(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cribwatch.board.build import board_dir
    from cribwatch.cli import app

    res = CliRunner().invoke(app, ["cry", "export", "--format", "c", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    hdr = tmp_path / "m" / "cry_model_blob.h"
    assert hdr.is_file() and (tmp_path / "m" / "cry_model.cwb").stat().st_size > 10000
    main = tmp_path / "embed.c"
    main.write_text(
        '#include <stdio.h>\n#include "cw_model.h"\n#include "cry_model_blob.h"\n'
        "static cw_model m;\nint main(void) {\n"
        "  int st = cw_model_load(&m, cw_cry_model_blob, cw_cry_model_blob_len);\n"
        '  printf("%d %d\\n", st, m.n_layers);\n  return st;\n}\n'
    )
    exe = tmp_path / "embed"
    bd = board_dir()
    cc = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(bd), "-I", str(hdr.parent)]
    subprocess.run([*cc, "-o", str(exe), str(main), str(bd / "cw_model.c"), "-lm"], check=True)
    out = _run([str(exe)])
    n_layers = len(IntModel.load(INT8).layers)
    assert out.returncode == 0 and out.stdout.split() == [b"0", str(n_layers).encode()]


@pytest.mark.skipif(not have_cross(), reason="mipsel-linux-gnu-gcc / qemu-mipsel-static missing")
def test_mipsel_check(short_audio: Path) -> None:
    res = check("mipsel", INT8, short_audio, cfg=CheckConfig(windows=2))
    assert res["pass"], res["first_divergent"]
    assert res["events"]["equal"] and len(res["events"]["c"]) >= 2  # type: ignore[index]
    assert res["events"]["alert_before_end"]  # type: ignore[index]
    assert res["continuous_cry"]["pass"], res["continuous_cry"]  # type: ignore[index]


def test_container_checks_match_the_c_loader(tmp_path: Path, asan: Path, blob: Path) -> None:
    """board.blob.check_container refuses what cw_model.c refuses first (size, magic, version,
    checksum) with the same words, and accepts the good blob."""
    from cribwatch.board.blob import check_container
    from cribwatch.errors import CribwatchError

    good = blob.read_bytes()
    check_container(good)
    bad = {
        "truncated": good[:12],
        "bad magic": b"XXXXXXXX" + good[8:],
        "unsupported model version": fix_crc(good[:8] + struct.pack("<I", VERSION + 1) + good[12:]),
        "checksum": good[:5000] + bytes([good[5000] ^ 0x10]) + good[5001:],
    }
    for word, data in bad.items():
        with pytest.raises(CribwatchError, match=word):
            check_container(data, "m.cwb")
        p = tmp_path / "m.cwb"
        p.write_bytes(data)
        assert word in _error_line(_run([str(asan), "--model", str(p), "-"], b""), str(p))
