"""Counting rules of cribwatch.cry.eval on hand-made detections."""

from pathlib import Path

import numpy as np

from cribwatch.cry.bootstrap import bootstrap_paired
from cribwatch.cry.dataset import CrySet
from cribwatch.cry.eval import evaluate
from cribwatch.cry.postprocess import Event
from cribwatch.cry.search import pick_threshold


def _set():
    s = CrySet(Path("."), {}, ["a.wav", "b.wav"])
    s.labels = {"a.wav": [(10.0, 16.0)]}
    s.noise = {
        "a.wav": [(0.0, 30.0, "music")],
        "b.wav": [(0.0, 3600.0, "fan"), (100.0, 103.0, "speech")],
    }
    s.cries = {"a.wav": [{"onset": "10.0", "source": "real", "ebr_db": "0"}]}
    s.channels = {"b.wav": {"band": "8k"}}
    return s


def test_hits_false_alarms_and_long_detections():
    s = _set()
    dur = {"a.wav": 30.0, "b.wav": 3600.0}
    dets = {
        "a.wav": [Event(9.2, 15.0, 0.9, 11.0)],  # onset 0.8 s early: still a hit
        "b.wav": [Event(100.5, 101.5, 0.8, 101.0), Event(2000.0, 2012.0, 0.8, 2001.0)],
    }
    res, out = evaluate(s, dets, dur)
    assert res["sensitivity"] == 1.0 and res["sensitivity_real"] == 1.0
    assert out[0].latency == 1.0 and res["latency_p50_s"] == 1.0
    # b: 1 (short) + 1 (long) + 2 (two full 5 s outside cries) = 4 false alarms
    assert res["false_alarms"] == 4
    assert abs(res["far_per_hour_cryfree"] - 4.0) < 1e-9
    assert abs(res["far_per_hour_narrowband"] - 4.0) < 1e-9
    assert res["far_per_hour_by_noise"]["speech"] > 1000  # 1 FA in 3 s of speech
    assert res["event_f1"] < 1.0


def test_misses_and_too_early_onsets():
    s = _set()
    dur = {"a.wav": 30.0, "b.wav": 3600.0}
    res, _ = evaluate(s, {"a.wav": [Event(8.5, 15.0, 0.9, 10.0)]}, dur)  # 1.5 s early
    assert res["sensitivity"] == 0.0 and res["false_alarms"] == 0
    res, _ = evaluate(s, {}, dur)
    assert res["sensitivity"] == 0.0 and res["far_per_hour"] == 0.0 and res["latency_p50_s"] is None


def test_threshold_pick_and_bootstrap():
    curve = [
        {"threshold": t, "sensitivity": 1 - t / 2, "far_per_hour": 3 * (1 - t)}
        for t in (0.2, 0.5, 0.8)
    ]
    assert pick_threshold(curve, 1.0) == 0.8
    assert pick_threshold(curve, 10.0) == 0.2
    a = np.array([1, 1, 1, 0] * 25)
    m, lo, hi = bootstrap_paired(a, a)
    assert m == lo == hi == 0.0
    m, lo, hi = bootstrap_paired(a, np.zeros(100))
    assert lo <= m <= hi and abs(m - 0.75) < 1e-9


def test_sensitivity_interval_resamples_babies_not_cries():
    """Real cries of one app instance move together: 20 cries of 2 babies (one found every
    time, one never) give a far wider interval than 20 cries of 20 babies."""
    from cribwatch.cry.bootstrap import CryOutcome, cry_cluster, ratio_bootstrap, uncertainty

    uuid = "1259bcad-2308-46fa-9a36-b5d8f359886a"
    assert cry_cluster("real", f"{uuid}-1430143668806-1.7-f-04-hu.wav", "m.wav", 1.0) == (
        "uuid:" + uuid
    )
    assert cry_cluster("synth", "seed17", "m.wav", 1.0) == "m.wav@1.00"

    def outcomes(n_babies: int) -> list[CryOutcome]:
        return [
            CryOutcome(
                f"f{i}.wav",
                1.0,
                (i % n_babies) < n_babies // 2,
                1.0,
                "real",
                "0",
                str(i % n_babies),
            )
            for i in range(20)
        ]

    two = uncertainty(outcomes(2), [(0.0, 1.0)])["sensitivity_ci95"]
    many = uncertainty(outcomes(20), [(0.0, 1.0)])["sensitivity_ci95"]
    assert two[0] <= 0.5 <= two[1] and many[0] <= 0.5 <= many[1]  # type: ignore[index]
    assert two[1] - two[0] > 1.5 * (many[1] - many[0])  # type: ignore[index]
    lo, hi = ratio_bootstrap(np.array([2.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    assert 0.0 <= lo <= 1.0 <= hi <= 2.0


def test_evaluate_reports_intervals():
    s = _set()
    dur = {"a.wav": 30.0, "b.wav": 3600.0}
    res, _ = evaluate(s, {"b.wav": [Event(100.5, 101.5, 0.8, 101.0)]}, dur)
    assert res["sensitivity_ci95"] == [0.0, 0.0]
    lo, hi = res["far_per_hour_ci95"]  # type: ignore[misc]
    assert lo <= res["far_per_hour"] <= hi


def test_false_alarm_interval_resamples_noise_recordings():
    """Ten false alarms on one animal recording repeated in ten files: resampling files sees
    ten independent files, resampling recordings sees one, so its interval is wider."""
    files = [f"f{i}.wav" for i in range(20)]
    s = CrySet(Path("."), {}, files)
    s.sources = {
        f: [(0.0, 300.0, f"bed{i}"), (10.0, 20.0, "dog.ogg" if i < 10 else f"cat{i}.ogg")]
        for i, f in enumerate(files)
    }
    dur = {f: 300.0 for f in files}
    dets = {f: [Event(12.0, 13.0, 0.9, 13.0)] for f in files[:10]}
    res, _ = evaluate(s, dets, dur)
    assert res["false_alarm_sources_top"] == [["dog.ogg", 10.0]]
    assert res["noise_sources"] == 31  # 20 backgrounds, the dog, 10 cats
    by_file, by_src = res["far_per_hour_ci95"], res["far_per_hour_ci95_by_source"]
    assert by_src[1] - by_src[0] > by_file[1] - by_file[0]  # type: ignore[index]


def test_tables_print_the_intervals():
    from cribwatch.cry.tables import interval_table

    md = interval_table(
        {
            "test": {
                "sensitivity": 0.5,
                "sensitivity_ci95": [0.4, 0.6],
                "far_per_hour": 1.0,
                "far_per_hour_ci95": [0.5, 1.5],
            }
        }
    )
    row = md.splitlines()[-1]
    assert "0.500 [0.400, 0.600]" in row and "1.000 [0.500, 1.500]" in row
    # no real cries, no sources.tsv: no interval claimed
    assert row.endswith("| - | 1.000 [0.500, 1.500] | 1.000 |")


def test_ebr_table_orders_numbers_and_keeps_cries_without_an_ebr():
    """Cries listed without an EBR ('na') get a column after the numeric ones, no crash."""
    from cribwatch.cry.tables import ebr_table

    md = ebr_table({"set": {"sensitivity_by_ebr": {"6": 0.9, "na": 0.5, "-6": 0.4, "0": 0.6}}})
    cells = [c.strip() for c in md.splitlines()[0].strip("|").split("|")]
    assert cells == ["set"] + [f"sens. @ {e} dB" for e in ("-6", "0", "6", "na")]
