"""The ambiguous-creates benchmark's bill, at a small size: every ambiguous write is settled with
one read (at most two), the reads the apply reports are all the reads made, no duplicate."""

from __future__ import annotations

from pathlib import Path

from benchmarks.ambiguous import measure


def test_settling_ambiguous_creates_costs_at_most_two_reads_each(tmp_path: Path) -> None:
    clean = measure(600, 10, {}, None, tmp_path)
    faulty = measure(600, 10, {"fail_after": 0.3}, 5, tmp_path)
    assert (clean.reads, clean.writes, clean.extra_reads) == (3 + 4, 10, 0)  # 600 projects: 4 pages
    assert faulty.ambiguous >= 1
    assert faulty.extra_reads <= 2 * faulty.ambiguous
    assert faulty.reads == clean.reads + faulty.extra_reads
