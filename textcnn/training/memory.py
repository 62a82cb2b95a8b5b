"""Keep a training process's resident memory from growing with the number of steps (glibc's malloc).

Training on CPU allocates and frees, at every step, tensors of a few hundred KB to tens of MB whose sizes change
with the padded length of each batch (activations, sparse embedding gradients). glibc serves an allocation above its
mmap threshold with a fresh ``mmap`` that ``free`` returns to the system at once, but it raises that threshold each
time such a block is freed (up to 32 MiB), so later blocks come from the heap, where freed holes of the wrong size
pile up and are not returned: one epoch over 10,000 long documents grew a 300-d Kim CNN from 0.7 GB to 2.7 GB
(``scripts/bench_train_memory.py``). Fixing the threshold (``mallopt(M_MMAP_THRESHOLD, ...)``, which also turns the
adjustment off) keeps large blocks out of the heap: the same run stays flat. It changes no result, only where memory
comes from; the price is a page fault on every fresh large block: the step loop of that run took about 1.5x as long
(a 2-core machine, loaded; 20 filters: with Kim's 100 the convolutions weigh more and the share is smaller).
A ``MALLOC_MMAP_THRESHOLD_`` set in the environment wins: ``MALLOC_MMAP_THRESHOLD_=33554432`` restores glibc's
reuse of the heap (faster, memory growing with the steps).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

#: Blocks of at least this many bytes are mapped and unmapped on their own (glibc's own starting value is 128 KiB).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


@functools.cache
def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process (once); ``False`` where the C library is
    not glibc (macOS, Windows, musl), ``MALLOC_MMAP_THRESHOLD_`` is set, or mallopt refuses: nothing changes then."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc" or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(threshold)))
    except (OSError, AttributeError):
        return False
