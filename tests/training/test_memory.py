"""fix_mmap_threshold: freed large blocks go back to the system instead of staying in glibc's heap."""

import os
import platform
import subprocess
import sys

import pytest

from textcnn.training.memory import fix_mmap_threshold

# A freed 16 MiB block raises glibc's dynamic threshold; 2 MiB blocks then come from the heap, and a small live block
# above each keeps their holes from being trimmed: the child prints the MiB still resident after freeing them.
_CHILD = """
import sys, numpy as np
if sys.argv[1] == "fix":
    from textcnn.training.memory import fix_mmap_threshold
    assert fix_mmap_threshold()
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
base = rss()
del_me = np.ones(16 << 20, dtype=np.uint8)
del del_me
keep = []
for i in range(64):
    big = np.ones((2 << 20) + i * 4096, dtype=np.uint8)
    keep += [np.ones(64, dtype=np.uint8).copy(), big]  # the small block lies above the big one in the heap
del keep[1::2]
print(rss() - base)
"""


def _retained_mib(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_fixed_threshold_returns_freed_blocks():
    assert _retained_mib("default") > 64  # the 128 MiB freed stay in the heap: what the fix is for
    assert _retained_mib("fix") < 16


def test_reports_whether_it_applied():
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert fix_mmap_threshold() is (glibc and "MALLOC_MMAP_THRESHOLD_" not in os.environ)
