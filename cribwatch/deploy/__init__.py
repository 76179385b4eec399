"""Shared deployment layer for every cribwatch model: ONNX export and parity, integer
quantization primitives (one requantization rule), QDQ graph building, golden vectors and
benchmark helpers."""
