"""The precisions a text classifier predicts in (no torch import: the CLI reads them for ``--help``).

``float32`` is the default everywhere. ``bfloat16`` runs a Kim CNN's embedding lookup and convolutions as one bf16
matrix product over unfolded windows (:mod:`textcnn.layers.window_gemm`), 2-3x the texts/s on CPUs with AVX-512
BF16 or AMX, with the same MR test accuracy (docs/speed.md); probabilities move by about 1e-3.
"""

from __future__ import annotations

#: Prediction precisions, the default first.
PRECISIONS = ("float32", "bfloat16")
