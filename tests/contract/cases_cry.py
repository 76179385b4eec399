"""Bad-input contract cases of the ``cribwatch cry ...`` verbs (audit rows cd_, cdd_, cdm_, ce_,
ct_, ctr_, cx_, cq_, cg_, cbench_, X3, X12, and at least one case per verb)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import cribwatch
from tests.contract.harness import Case

WEIGHTS = Path(cribwatch.__file__).resolve().parent / "weights"
INT8 = str(WEIGHTS / "cry_int8.cwq")

Setup = Callable[[Path, Path], None]


def _all(*steps: Setup) -> Setup:
    def setup(tmp: Path, fx: Path) -> None:
        for step in steps:
            step(tmp, fx)

    return setup


def _json(name: str, obj: object) -> Setup:
    """``tmp/name`` holding ``obj`` as JSON (or raw text when ``obj`` is a str)."""

    def setup(tmp: Path, fx: Path) -> None:
        text = obj if isinstance(obj, str) else json.dumps(obj)
        (tmp / name).write_text(text)

    return setup


def _copy(src: str, name: str) -> Setup:
    """``tmp/name`` a copy of fixture ``src`` (or of a path given as ``/abs``)."""

    def setup(tmp: Path, fx: Path) -> None:
        shutil.copy(Path(src) if src.startswith("/") else fx / src, tmp / name)

    return setup


def _model_with_broken_card(name: str) -> Setup:
    """``tmp/name`` (plain text or empty) with a card beside it that is not JSON."""
    stem, ext = name.rsplit(".", 1)
    return _all(_copy(f"{stem}.{ext}", name), _copy("notjson.json", f"{stem}.json"))


def _cryset(
    labels: str | None = None,
    noise: str | None = None,
    manifest: str | None = None,
    raw_labels: bytes | None = None,
) -> Setup:
    """``tmp/cs``: a copy of the fixture cry set with one file replaced."""

    def setup(tmp: Path, fx: Path) -> None:
        cs = tmp / "cs"
        shutil.copytree(fx / "cryset", cs)
        if labels is not None:
            (cs / "labels.tsv").write_text("file\tonset\toffset\tlabel\n" + labels)
        if raw_labels is not None:
            (cs / "labels.tsv").write_bytes(raw_labels)
        if noise is not None:
            (cs / "noise_types.tsv").write_text("file\tonset\toffset\tnoise_type\n" + noise)
        if manifest is not None:
            (cs / "manifest.json").write_text(manifest)

    return setup


def _old_export(tmp: Path, fx: Path) -> None:
    """An earlier ``cry export --format c`` in ``tmp/c`` (the shipped detector config)."""
    from cribwatch.cry import tasks

    tasks.export(tmp / "c", fmt="c")
    (tmp / "before.json").write_text(json.dumps(_tree(tmp / "c")))


def _tree(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _export_unchanged(tmp: Path, fx: Path) -> None:
    before = json.loads((tmp / "before.json").read_text())
    assert _tree(tmp / "c") == before, "the earlier export was changed"
    leftovers = [p.name for p in tmp.iterdir() if p.name.startswith(".c.")]
    assert not leftovers, leftovers


BAD_SET = _cryset(labels="a.wav\tabc\t2.5\tcry\n")
NOISE = "{fx}/noise.wav"
DEMO = "{fx}/demo.flac"

# Detector configs that must be refused (audit rows cd_config_* on noise, cdd_config_* on the
# bundled demo sample whose cry the shipped config finds), with the key the error names.
CONFIGS: dict[str, tuple[object, str]] = {
    "bool": ({"threshold": True}, "threshold"),
    "enabled_str": ({"enabled": "loudness"}, "enabled"),
    "enabled_unknown": ({"enabled": ["bogus_filter"]}, "enabled"),
    "gt1": ({"threshold": 7.5}, "threshold"),
    "inf": ('{"threshold": Infinity}', "threshold"),
    "kon_gt_non": ({"k_on": 5, "n_on": 3}, "k_on"),
    "nan": ('{"threshold": NaN}', "threshold"),
    "neg": ({"threshold": -1.0}, "threshold"),
    "neg_gate": ({"gate_dbfs": -1e9, "min_bout_s": -5, "m_off": -3}, "gate_dbfs"),
    "non0": ({"n_on": 0, "k_on": 0}, "n_on"),
    "unknown": ({"thresh": 0.5, "bogus_key": 1}, "thresh"),
    "wrongtype_int": ({"k_on": "two"}, "k_on"),
    "wrongtype": ({"threshold": "high"}, "threshold"),
    "f0_inverted": ({"f0_min_hz": 3000, "f0_max_hz": 100}, "f0_min_hz"),
}


def _config_cases() -> list[Case]:
    out = []
    for prefix, audio in (("cd", NOISE), ("cdd", DEMO)):
        for name, (obj, key) in CONFIGS.items():
            out.append(
                Case(
                    f"{prefix}_config_{name}",
                    ["cry", "detect", audio, "--config", "{tmp}/c.json"],
                    ["c.json", key],
                    setup=_json("c.json", obj),
                )
            )
    return out


CASES: list[Case] = [
    # 3. code execution from model files
    Case("X12", ["cry", "detect", NOISE, "--model", "{fx}/evil.pt"], ["evil.pt"]),
    Case(
        "cdm_evil.pt",
        ["cry", "detect", NOISE, "--model", "{tmp}/evil.pt"],
        ["evil.pt"],
        setup=_copy("evil.pt", "evil.pt"),
    ),
    Case(
        "ctr_init_evil",
        [
            "cry",
            "train",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/m.pt",
            "--init",
            "{fx}/evil.pt",
            "--steps",
            "1",
        ],  # fmt: skip
        ["evil.pt"],
        absent=["{tmp}/m.pt"],
    ),
    # 4. hangs and runaway runs
    Case("cd_block0", ["cry", "detect", NOISE, "--block", "0"], ["--block"]),
    Case(
        "cd_stdin_block0",
        ["cry", "detect", "-", "--block", "0"],
        ["--block"],
        stdin=bytes(64000),
    ),
    Case(
        "ctr_steps_neg",
        ["cry", "train", "--data", "{fx}/cryset", "--out", "{tmp}/m.pt", "--steps", "-5"],
        ["--steps"],
        absent=["{tmp}/m.pt"],
    ),
    # 5. tracebacks: outputs that cannot be written
    Case(
        "ce_detcurve_ro",
        ["cry", "eval", "--data", "{fx}/cryset", "--det-curve", "{fx}/ro/det.png"],
        ["{fx}/ro/det.png", "cannot write"],
        absent=["{fx}/ro/det.png"],
    ),
    Case(
        "ct_out_ro",
        ["cry", "tune", "--data", "{fx}/cryset", "--out", "{fx}/ro/t.json"],
        ["{fx}/ro/t.json", "cannot write"],
        absent=["{fx}/ro/t.json"],
    ),
    Case(
        "cg_out_ro",
        ["cry", "golden", "--model", INT8, "--audio", NOISE, "--out", "{fx}/ro/g"],
        ["{fx}/ro/g", "cannot write"],
        absent=["{fx}/ro/g"],
    ),
    Case(
        "cx_c_out_ro",
        ["cry", "export", "--format", "c", "--out", "{fx}/ro/c"],
        ["{fx}/ro/c", "cannot write"],
        absent=["{fx}/ro/c"],
    ),
    Case(
        "cx_c_out_file",
        ["cry", "export", "--format", "c", "--out", "{tmp}/f"],
        ["{tmp}/f", "cannot write"],
        setup=_json("f", "a file, not a folder\n"),
    ),
    Case(
        "cx_onnx_out_ro",
        ["cry", "export", "--out", "{fx}/ro/m.onnx"],
        ["{fx}/ro/m.onnx", "cannot write"],
        absent=["{fx}/ro/m.onnx"],
    ),
    Case(
        "cq_out_ro",
        ["cry", "quantize", "--data", "{fx}/cryset", "--out", "{fx}/ro/q.cwq"],
        ["{fx}/ro/q.cwq", "cannot write"],
        absent=["{fx}/ro/q.cwq"],
    ),
    # 5. tracebacks: files that are not cry models
    Case("cd_model_valid.wav", ["cry", "detect", NOISE, "--model", NOISE], ["noise.wav"]),
    Case("cd_model_ref.png", ["cry", "detect", NOISE, "--model", "{fx}/ref.png"], ["ref.png"]),
    Case(
        "cdm_text.pt",
        ["cry", "detect", NOISE, "--model", "{tmp}/text.pt"],
        ["text.pt"],
        setup=_copy("text.pt", "text.pt"),
    ),
    Case(
        "cdm_wav_as.pt",
        ["cry", "detect", NOISE, "--model", "{tmp}/wav_as.pt"],
        ["wav_as.pt"],
        setup=_copy("noise.wav", "wav_as.pt"),
    ),
    Case(
        "cdm_color.onnx",
        ["cry", "detect", NOISE, "--model", "{tmp}/color.onnx"],
        ["color.onnx"],
        setup=_copy(str(WEIGHTS / "color_ssim_guided.int8.onnx"), "color.onnx"),
    ),
    Case(
        "cx_onnx_weights_text",
        ["cry", "export", "--weights", "{tmp}/text.pt", "--out", "{tmp}/m.onnx"],
        ["text.pt"],
        absent=["{tmp}/m.onnx"],
        setup=_copy("text.pt", "text.pt"),
    ),
    Case(
        "cq_weights_text",
        [
            "cry",
            "quantize",
            "--weights",
            "{tmp}/text.pt",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/q.cwq",
        ],  # fmt: skip
        ["text.pt"],
        absent=["{tmp}/q.cwq", "{tmp}/q.onnx"],
        setup=_copy("text.pt", "text.pt"),
    ),
    Case(
        "ctr_init_text",
        [
            "cry",
            "train",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/m.pt",
            "--init",
            "{tmp}/text.pt",
        ],  # fmt: skip
        ["text.pt"],
        absent=["{tmp}/m.pt"],
        setup=_copy("text.pt", "text.pt"),
    ),
    # 5. tracebacks: broken cry sets
    Case(
        "ce_cs_badfloat",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["labels.tsv", "line 2", "onset", "abc"],
        setup=BAD_SET,
    ),
    Case(
        "ce_cs_binary",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["labels.tsv", "UTF-8"],
        setup=_cryset(raw_labels=b"file\tonset\toffset\tlabel\n\xff\xfe\x80\x81\n"),
    ),
    Case(
        "ce_cs_manifest_list",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["manifest.json", "object"],
        setup=_cryset(manifest="[]\n"),
    ),
    Case(
        "ce_cs_badnoise",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["noise_types.tsv", "line 2", "onset"],
        setup=_cryset(noise="a.wav\tx\ty\tnoise\n"),
    ),
    Case(
        "ct_badset",
        ["cry", "tune", "--data", "{tmp}/cs", "--out", "{tmp}/t.json"],
        ["labels.tsv", "line 2", "onset"],
        absent=["{tmp}/t.json"],
        setup=BAD_SET,
    ),
    Case(
        "ctr_badset",
        ["cry", "train", "--data", "{tmp}/cs", "--out", "{tmp}/m.pt", "--steps", "1"],
        ["labels.tsv", "line 2", "onset"],
        absent=["{tmp}/m.pt"],
        setup=BAD_SET,
    ),
    # 5./6. detector configs
    *_config_cases(),
    Case(
        "ce_config_wrongtype",
        ["cry", "eval", "--data", "{fx}/cryset", "--config", "{tmp}/c.json"],
        ["c.json", "threshold"],
        setup=_json("c.json", {"threshold": "high"}),
    ),
    Case(
        "cx_c_config_bad",
        ["cry", "export", "--format", "c", "--out", "{tmp}/c", "--config", "{tmp}/k.json"],
        ["k.json", "threshold"],
        absent=["{tmp}/c"],
        setup=_json("k.json", {"threshold": "high"}),
    ),
    Case(
        "cx_c_config_nan",
        ["cry", "export", "--format", "c", "--out", "{tmp}/c", "--config", "{tmp}/k.json"],
        ["k.json", "threshold"],
        absent=["{tmp}/c"],
        setup=_json("k.json", '{"detector": {"threshold": NaN}}'),
    ),
    Case(
        "cx_c_config_kon",
        ["cry", "export", "--format", "c", "--out", "{tmp}/c", "--config", "{tmp}/k.json"],
        ["k.json", "k_on"],
        absent=["{tmp}/c"],
        setup=_json("k.json", {"k_on": 5, "n_on": 3}),
    ),
    Case(
        "ct_config_nan",
        [
            "cry",
            "tune",
            "--data",
            "{fx}/cryset",
            "--config",
            "{tmp}/k.json",
            "--out",
            "{tmp}/t.json",
        ],  # fmt: skip
        ["k.json", "threshold"],
        absent=["{tmp}/t.json"],
        setup=_json("k.json", '{"threshold": NaN}'),
    ),
    # 5. block sizes
    Case("cd_block_neg", ["cry", "detect", NOISE, "--block", "-5"], ["--block"]),
    Case(
        "cd_stdin_block_neg",
        ["cry", "detect", "-", "--block", "-1"],
        ["--block"],
        stdin=bytes(64000),
    ),
    # 6. silent acceptance: cry sets and options
    Case(
        "ce_cs_shortrow",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["labels.tsv", "line 2"],
        setup=_cryset(labels="a.wav\t1.0\n"),
    ),
    Case(
        "ce_cs_nan",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["labels.tsv", "line 2", "onset"],
        setup=_cryset(labels="a.wav\tnan\tinf\tcry\n"),
    ),
    Case(
        "ce_cs_inverted",
        ["cry", "eval", "--data", "{tmp}/cs"],
        ["labels.tsv", "line 2", "onset"],
        setup=_cryset(labels="a.wav\t4.0\t1.0\tcry\n"),
    ),
    Case(
        "ce_filters_bogus",
        ["cry", "eval", "--data", "{fx}/cryset", "--filters", "bogus"],
        ["--filters", "bogus", "loudness"],
    ),
    Case(
        "ct_maxfar_neg",
        ["cry", "tune", "--data", "{fx}/cryset", "--max-far", "-1", "--out", "{tmp}/t.json"],
        ["--max-far"],
        absent=["{tmp}/t.json"],
    ),
    Case(
        "ct_maxfar_nan",
        ["cry", "tune", "--data", "{fx}/cryset", "--max-far", "nan", "--out", "{tmp}/t.json"],
        ["--max-far"],
        absent=["{tmp}/t.json"],
    ),
    Case(
        "ctr_minutes_neg",
        ["cry", "train", "--data", "{fx}/cryset", "--out", "{tmp}/m.pt", "--minutes", "-1"],
        ["--minutes"],
        absent=["{tmp}/m.pt"],
    ),
    Case("cbench_rss_neg", ["cry", "bench", "--rss-hours", "-1"], ["--rss-hours"]),
    # 7. non-atomic folder outputs: a failed export leaves the earlier one whole
    Case(
        "X3",
        ["cry", "export", "--format", "c", "--out", "{tmp}/c", "--config", "{tmp}/k.json"],
        ["k.json", "k_on"],
        setup=_all(_old_export, _json("k.json", {"k_on": 5, "n_on": 3})),
        check=_export_unchanged,
    ),
    # 8. the model file is blamed, not its broken card
    *[
        Case(
            f"cd_model_{name}",
            ["cry", "detect", NOISE, "--model", f"{{tmp}}/{name}"],
            [name],
            setup=_model_with_broken_card(name),
        )
        for name in ("text.pt", "empty.pt", "text.onnx", "empty.onnx", "text.cwq", "empty.cwq")
    ],
    Case(
        "ce_model_text",
        ["cry", "eval", "--data", "{fx}/cryset", "--model", "{tmp}/text.pt"],
        ["text.pt"],
        setup=_model_with_broken_card("text.pt"),
    ),
    Case(
        "cx_c_intmodel_text",
        ["cry", "export", "--format", "c", "--out", "{tmp}/c", "--int-model", "{tmp}/text.cwq"],
        ["text.cwq"],
        absent=["{tmp}/c"],
        setup=_model_with_broken_card("text.cwq"),
    ),
    Case(
        "cx_c_intmodel_empty",
        [
            "cry",
            "export",
            "--format",
            "c",
            "--out",
            "{tmp}/c",
            "--int-model",
            "{tmp}/empty.cwq",
        ],  # fmt: skip
        ["empty.cwq"],
        absent=["{tmp}/c"],
        setup=_model_with_broken_card("empty.cwq"),
    ),
    Case(
        "cbench_intmodel_text",
        ["cry", "bench", "--int-model", "{tmp}/text.cwq"],
        ["text.cwq"],
        setup=_model_with_broken_card("text.cwq"),
    ),
    Case(
        "cg_windows0",
        [
            "cry",
            "golden",
            "--model",
            INT8,
            "--audio",
            NOISE,
            "--out",
            "{tmp}/g",
            "--windows",
            "0",
        ],  # fmt: skip
        ["--windows"],
        absent=["{tmp}/g"],
    ),
    # every verb: a bad option or a missing input
    Case(
        "cms_hours_neg",
        ["cry", "make-set", "--out", "{tmp}/s", "--hours", "-1"],
        ["--hours"],
        absent=["{tmp}/s"],
    ),
    Case(
        "cms_split_bogus",
        ["cry", "make-set", "--out", "{tmp}/s", "--hours", "0.01", "--split", "bogus"],
        ["--split"],
        absent=["{tmp}/s"],
    ),
    Case(
        "cmr_data_missing",
        ["cry", "make-real-set", "--out", "{tmp}/r", "--data-dir", "{tmp}/nodata"],
        ["{tmp}/nodata"],
        absent=["{tmp}/r"],
    ),
    Case(
        "cmr_out_is_input",
        ["cry", "make-real-set", "--out", "{fx}/cryset", "--data-dir", "{fx}/cryset"],
        ["--out"],
    ),
    Case(
        "cd_audio_missing",
        ["cry", "detect", "{tmp}/missing.wav"],
        ["missing.wav"],
    ),
    Case("cd_audio_text", ["cry", "detect", "{fx}/text.wav"], ["text.wav"]),
    Case("ce_data_missing", ["cry", "eval", "--data", "{tmp}/nothing"], ["{tmp}/nothing"]),
    Case(
        "ct_out_is_config",
        [
            "cry",
            "tune",
            "--data",
            "{fx}/cryset",
            "--config",
            "{tmp}/k.json",
            "--out",
            "{tmp}/k.json",
        ],  # fmt: skip
        ["--out", "--config"],
        setup=_json("k.json", {"threshold": 0.5}),
    ),
    Case(
        "cq_bits_bogus",
        ["cry", "quantize", "--bits", "3", "--data", "{fx}/cryset", "--out", "{tmp}/q.cwq"],
        ["--bits"],
        absent=["{tmp}/q.cwq"],
    ),
    Case(
        "cx_format_bogus",
        ["cry", "export", "--format", "tflite", "--out", "{tmp}/m"],
        ["--format"],
        absent=["{tmp}/m"],
    ),
    Case(
        "cx_onnx_out_is_weights",
        ["cry", "export", "--weights", "{tmp}/w.pt", "--out", "{tmp}/w.pt"],
        ["--out", "--weights"],
        setup=_copy(str(WEIGHTS / "cry.pt"), "w.pt"),
    ),
    Case(
        "cg_audio_missing",
        ["cry", "golden", "--model", INT8, "--audio", "{tmp}/missing.wav", "--out", "{tmp}/g"],
        ["missing.wav"],
        absent=["{tmp}/g"],
    ),
    Case("cbench_n0", ["cry", "bench", "--n", "0"], ["--n"]),
    Case(
        "ccmp_far_bogus",
        [
            "cry",
            "compare",
            "--data",
            "{fx}/cryset",
            "--config",
            "{tmp}/k.json",
            "--config",
            "{tmp}/k.json",
            "--far",
            "abc",
        ],  # fmt: skip
        ["--far"],
        setup=_json("k.json", {"threshold": 0.5}),
    ),
    Case(
        "ccmp_one_detector",
        ["cry", "compare", "--data", "{fx}/cryset"],
        ["--config", "--model"],
    ),
    Case(
        "ctab_maxfar_neg",
        ["cry", "tables", "--test", "{fx}/cryset", "--max-far", "-1"],
        ["--max-far"],
    ),
    Case(
        "ctab_badset",
        ["cry", "tables", "--test", "{tmp}/cs", "--out", "{tmp}/t.md"],
        ["labels.tsv", "line 2"],
        absent=["{tmp}/t.md"],
        setup=BAD_SET,
    ),
    # issue 23: YAMNet models, the verifier and its training verb
    Case(
        "cd_tflite_junk",
        ["cry", "detect", NOISE, "--model", "{tmp}/y.tflite"],
        ["y.tflite"],
        setup=_json("y.tflite", "not a model"),
    ),
    Case(
        "cd_verifier_junk",
        ["cry", "detect", NOISE, "--model", "{tmp}/v.npz"],
        ["v.npz"],
        setup=_json("v.npz", "not a verifier"),
    ),
    Case(
        "ctv_hidden0",
        ["cry", "train-verifier", "--data", "{fx}/cryset", "--out", "{tmp}/v.npz", "--hidden", "0"],
        ["--hidden"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
    ),
    Case(
        "ctv_gate_gt1",
        ["cry", "train-verifier", "--data", "{fx}/cryset", "--out", "{tmp}/v.npz", "--gate", "1.5"],
        ["--gate"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
    ),
    Case(
        "ctv_out_not_npz",
        ["cry", "train-verifier", "--data", "{fx}/cryset", "--out", "{tmp}/v.pt"],
        ["--out", "v.pt"],
        absent=["{tmp}/v.pt"],
    ),
    Case(
        "ctv_badset",
        [
            "cry",
            "train-verifier",
            "--data",
            "{tmp}/cs",
            "--out",
            "{tmp}/v.npz",
            "--first-stage",
            "{tmp}/cry.onnx",
        ],
        ["labels.tsv", "line 2"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
        setup=_all(BAD_SET, _copy(str(WEIGHTS / "cry.onnx"), "cry.onnx")),
    ),
    Case(
        "ctv_first_stage_elsewhere",
        ["cry", "train-verifier", "--data", "{fx}/cryset", "--out", "{tmp}/v.npz"],
        ["--first-stage"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
    ),
    Case(
        "ctv_kind_unknown",
        ["cry", "train-verifier", "--data", "{fx}/cryset", "--out", "{tmp}/v.npz", "--kind", "x"],
        ["--kind"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
    ),
    Case(
        "ctv_confirm_gt1",
        [
            "cry",
            "train-verifier",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/v.npz",
            "--confirm-score",
            "2",
        ],
        ["--confirm-score"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
    ),
    Case(
        "ctv_negatives_missing",
        [
            "cry",
            "train-verifier",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/v.npz",
            "--first-stage",
            "{tmp}/cry.onnx",
            "--negatives",
            "{tmp}/nowhere",
        ],
        ["nowhere"],
        absent=["{tmp}/v.npz", "{tmp}/v.json"],
        setup=_copy(str(WEIGHTS / "cry.onnx"), "cry.onnx"),
    ),
    Case(
        "cdist_teacher_weight_gt1",
        [
            "cry",
            "distill",
            "--data",
            "{fx}/cryset",
            "--out",
            "{tmp}/m.pt",
            "--teacher-weight",
            "1.5",
        ],
        ["--teacher-weight"],
        absent=["{tmp}/m.pt"],
    ),
    Case(
        "cdist_unknown_teacher",
        ["cry", "distill", "--data", "{fx}/cryset", "--out", "{tmp}/m.pt", "--teacher", "owl"],
        ["--teacher"],
        absent=["{tmp}/m.pt"],
    ),
    Case(
        "cdist_batch0",
        ["cry", "distill", "--data", "{fx}/cryset", "--out", "{tmp}/m.pt", "--batch", "0"],
        ["--batch"],
        absent=["{tmp}/m.pt"],
    ),
    Case(
        "cdist_missing_data",
        ["cry", "distill", "--data", "{tmp}/nowhere", "--out", "{tmp}/m.pt"],
        ["nowhere"],
        absent=["{tmp}/m.pt"],
    ),
    Case(
        "cyo_out_not_onnx",
        ["cry", "yamnet-onnx", "--out", "{tmp}/y.tflite"],
        ["--out", "y.tflite"],
        absent=["{tmp}/y.tflite"],
    ),
    Case(
        "cyo_tflite_missing",
        ["cry", "yamnet-onnx", "--out", "{tmp}/y.onnx", "--tflite", "{tmp}/nope.tflite"],
        ["nope.tflite"],
        absent=["{tmp}/y.onnx", "{tmp}/y.json"],
    ),
    Case(
        "cyo_tflite_not_a_model",
        ["cry", "yamnet-onnx", "--out", "{tmp}/y.onnx", "--tflite", "{fx}/notjson.json"],
        ["notjson.json"],
        absent=["{tmp}/y.onnx", "{tmp}/y.json"],
    ),
    Case(
        "cyo_out_readonly",
        ["cry", "yamnet-onnx", "--out", "{fx}/ro/y.onnx"],
        ["y.onnx"],
    ),
]
