"""Infant cry detection: synthesizer and set builder, log-mel front end, tiny CNN, noise-type
post-processing, block-streaming detector, evaluation and 8/4-bit quantization."""
