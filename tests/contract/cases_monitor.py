"""Bad-input contract cases of ``cribwatch monitor run`` and ``monitor bench``: every option
checked before any work (a bad source, address, state file, output path), one error line naming
it, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from tests.contract.harness import Case

SRC = "{fx}/demo.flac"  # a valid audio-only source: the case's own option is what fails
RUN = ["monitor", "run"]


def _state(data: object) -> object:
    def setup(tmp: Path, fx: Path) -> None:
        (tmp / "camera.json").write_text(json.dumps(data))

    return setup


def _garbage(tmp: Path, fx: Path) -> None:
    (tmp / "camera.ts").write_bytes(b"\x00not a video\xff" * 200)


def _user_file(tmp: Path, fx: Path) -> None:
    (tmp / "notes.txt").write_text("mine\n")


def _user_file_kept(tmp: Path, fx: Path) -> None:
    assert (tmp / "notes.txt").read_text() == "mine\n"


def _a_file(tmp: Path, fx: Path) -> None:
    (tmp / "clips").write_text("a file\n")


GOOD_STATE = {"format": "cribwatch-camera", "version": 1}

CASES: list[Case] = [
    # sources
    Case("monitor_run_missing_source", [*RUN, "{tmp}/nope.ts"], ["{tmp}/nope.ts", "not found"]),
    Case("monitor_run_folder_source", [*RUN, "{tmp}"], ["{tmp}", "folder"]),
    Case("monitor_run_bad_scheme", [*RUN, "gopher://camera/live"], ["gopher"]),
    Case("monitor_run_missing_device", [*RUN, "/dev/video97"], ["/dev/video97"]),
    Case(
        "monitor_run_not_a_video", [*RUN, "{tmp}/camera.ts"], ["{tmp}/camera.ts"], setup=_garbage
    ),  # fmt: skip
    Case("monitor_run_missing_audio", [*RUN, SRC, "--audio", "{tmp}/mic.wav"], ["{tmp}/mic.wav"]),
    # the page
    Case(
        "monitor_run_serve_beyond_localhost_no_token",
        [*RUN, SRC, "--serve", "0.0.0.0:8080"],
        ["--serve", "--token"],
    ),  # fmt: skip
    Case("monitor_run_serve_bad_port", [*RUN, SRC, "--serve", "127.0.0.1:99999"], ["--serve"]),
    Case("monitor_run_serve_empty", [*RUN, SRC, "--serve", ""], ["--serve"]),
    Case(
        "monitor_run_short_token",
        [*RUN, SRC, "--serve", "0.0.0.0:8080", "--token", "abc"],
        ["--token"],
    ),  # fmt: skip
    Case(
        "monitor_run_cert_without_key",
        [*RUN, SRC, "--serve", "127.0.0.1:8080", "--cert", "{fx}/ref.png"],
        ["--cert", "--key"],
    ),
    Case(
        "monitor_run_bad_cert",
        [*RUN, SRC, "--serve", "127.0.0.1:8080", "--cert", "{fx}/ref.png", "--key", "{fx}/ref.png"],
        ["--cert"],
    ),  # fmt: skip
    # state file
    Case(
        "monitor_run_state_unknown_key",
        [*RUN, SRC, "--state", "{tmp}/camera.json"],
        ["{tmp}/camera.json", "rotaton"],
        setup=_state({**GOOD_STATE, "rotaton": 90}),
    ),
    Case(
        "monitor_run_state_bad_rotation",
        [*RUN, SRC, "--state", "{tmp}/camera.json"],
        ["{tmp}/camera.json", "rotation"],
        setup=_state({**GOOD_STATE, "rotation": 45}),
    ),
    Case(
        "monitor_run_state_bool_threshold",
        [*RUN, SRC, "--state", "{tmp}/camera.json"],
        ["{tmp}/camera.json", "cry_threshold"],
        setup=_state({**GOOD_STATE, "cry_threshold": True}),
    ),
    Case(
        "monitor_run_state_version",
        [*RUN, SRC, "--state", "{tmp}/camera.json"],
        ["{tmp}/camera.json", "version"],
        setup=_state({**GOOD_STATE, "version": 7}),
    ),
    Case("monitor_run_state_list", [*RUN, SRC, "--state", "{fx}/list.json"], ["list.json"]),
    Case(
        "monitor_run_state_not_json", [*RUN, SRC, "--state", "{fx}/notjson.json"], ["notjson.json"]
    ),
    Case("monitor_run_state_folder", [*RUN, SRC, "--state", "{tmp}"], ["--state", "{tmp}"]),
    # colour reference
    Case("monitor_run_reference_grey", [*RUN, SRC, "--reference", "{fx}/night.png"], ["night.png"]),
    Case(
        "monitor_run_reference_missing",
        [*RUN, SRC, "--reference", "{tmp}/day.png"],
        ["{tmp}/day.png"],
    ),
    Case("monitor_run_reference_bomb", [*RUN, SRC, "--reference", "{fx}/bomb.png"], ["bomb.png"]),
    # outputs
    Case("monitor_run_events_is_source", [*RUN, SRC, "--events", SRC], ["--events"]),
    Case(
        "monitor_run_events_user_file",
        [*RUN, SRC, "--events", "{tmp}/notes.txt"],
        ["--events", "notes.txt"],
        setup=_user_file,
        check=_user_file_kept,
    ),
    Case("monitor_run_events_folder", [*RUN, SRC, "--events", "{tmp}"], ["--events"]),
    Case(
        "monitor_run_clips_is_file",
        [*RUN, SRC, "--clips", "{tmp}/clips"],
        ["--clips"],
        setup=_a_file,
    ),
    Case("monitor_run_clips_current_folder", [*RUN, SRC, "--clips", "."], ["--clips"]),
    Case(
        "monitor_run_clips_read_only",
        [*RUN, SRC, "--clips", "{fx}/ro/clips"],
        ["--clips"],
        absent=["{fx}/ro/clips"],
    ),
    # options
    Case("monitor_run_bad_mqtt", [*RUN, SRC, "--mqtt", "broker:notaport"], ["--mqtt"]),
    Case("monitor_run_bad_pose", [*RUN, SRC, "--pose", "openpose"], ["--pose"]),
    Case("monitor_run_negative_duration", [*RUN, SRC, "--duration", "-1"], ["--duration"]),
    Case("monitor_run_nan_duration", [*RUN, SRC, "--duration", "nan"], ["--duration"]),
    Case("monitor_run_zero_read_timeout", [*RUN, SRC, "--read-timeout", "0"], ["--read-timeout"]),
    Case(
        "monitor_run_clips_keep_zero",
        [*RUN, SRC, "--clips", "{tmp}/c", "--clips-keep", "0"],
        ["--clips-keep"],
        absent=["{tmp}/c"],
    ),
    # bench
    Case("monitor_bench_short", ["monitor", "bench", "--seconds", "1"], ["--seconds"]),
    Case("monitor_bench_fps", ["monitor", "bench", "--fps", "0"], ["--fps"]),
    Case("monitor_bench_size", ["monitor", "bench", "--width", "5"], ["--size"]),
    Case("monitor_bench_pose", ["monitor", "bench", "--pose", "openpose"], ["--pose"]),
]

CASES += [
    Case(
        "monitor_run_token_with_space",
        [*RUN, SRC, "--serve", "0.0.0.0:8080", "--token", "abc def ghi jkl mno"],
        ["--token"],
    ),
    Case(
        "monitor_run_state_reference_missing",
        [*RUN, SRC, "--state", "{tmp}/camera.json"],
        ["{tmp}/camera.json", "day.png"],
        setup=_state({**GOOD_STATE, "references": [["default", "day.png"]]}),
    ),  # fmt: skip
]
