"""How a render pool's jobs are cut into chunks (iku.bulletins.jobs.chunked): in order, every
job once, enough chunks that the workers end together, none longer than MAX_CHUNK."""

from __future__ import annotations

import pytest

from iku.bulletins.jobs import CHUNKS_PER_WORKER, MAX_CHUNK, chunked


@pytest.mark.parametrize(
    ("jobs", "workers", "size"),
    [
        (1, 2, 1),
        (31, 2, 1),  # fewer jobs than chunks: one job each
        (641, 2, 20),  # M: 641 // 32
        (2_048, 2, 64),  # exactly the cap
        (22_001, 2, MAX_CHUNK),  # L: 687 by the count, capped
        (22_001, 8, MAX_CHUNK),
        (5_000, 4, 64),
        (1_000, 4, 15),
    ],
)
def test_chunks_keep_order_cover_every_job_and_stay_short(
    jobs: int, workers: int, size: int
) -> None:
    items = list(range(jobs))
    chunks = chunked(items, workers)
    assert [i for chunk in chunks for i in chunk] == items
    assert {len(c) for c in chunks[:-1]} <= {size} and 1 <= len(chunks[-1]) <= size
    assert len(chunks) >= min(jobs, workers * CHUNKS_PER_WORKER)
    assert max(len(c) for c in chunks) <= MAX_CHUNK
