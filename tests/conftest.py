"""Shared pytest set-up."""
import os
from pathlib import Path

# Triton reads TRITON_INTERPRET when a kernel module is first imported: on a machine without CUDA, run the Triton
# kernels in the interpreter so that their parity tests execute (at small sizes) instead of skipping.
try:
    import torch
    if not torch.cuda.is_available(): os.environ.setdefault("TRITON_INTERPRET", "1")
    # pytest runs with `-n 2` on 2-core machines: one intra-op thread per worker avoids oversubscription, which made
    # small CPU forwards ~30x slower when measured on the 2-core CI machine.
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    "The real datasets beside the checkout (../shared/data); tests that need them skip when it is absent."
    if not SHARED_DATA.is_dir(): pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA
