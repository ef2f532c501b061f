"""Popup search latency per keystroke over 10,000 projects + 50,000 activities."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.catalog_data import QUERIES, large_catalog
from bench.common import Figure, percentile
from kimai_tray.core.catalog import Catalog


def run(quick: bool) -> list[Figure]:
    customers, projects, activities, tags = large_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite3")
        try:
            t0 = time.perf_counter()
            catalog.replace_all(customers, projects, activities, tags)
            build = time.perf_counter() - t0
            queries = QUERIES[:8] if quick else QUERIES
            ours: list[float] = []
            for query in queries:
                for end in range(1, len(query) + 1):
                    t = time.perf_counter()
                    catalog.search(query[:end], limit=50)
                    ours.append((time.perf_counter() - t) * 1000)
        finally:
            catalog.close()
    names = [p.customer_name + " " + p.name for p in projects] + [a.name for a in activities]
    lowered = [n.lower() for n in names]
    base: list[float] = []
    for query in queries:
        for end in range(1, len(query) + 1):
            q = query[:end].lower()
            t = time.perf_counter()
            _ = [n for n in lowered if q in n]
            base.append((time.perf_counter() - t) * 1000)
    p95 = percentile(ours, 95)
    return [
        Figure(
            "search p50 per keystroke (10k proj, 50k act)",
            percentile(ours, 50),
            "ms",
            percentile(base, 50),
            "plain substring scan",
        ),
        Figure(
            "search p95 per keystroke (10k proj, 50k act)",
            p95,
            "ms",
            percentile(base, 95),
            "plain substring scan",
            target="< 8 ms",
            ok=p95 < 8,
            extra={"keystrokes": len(ours), "index build s": round(build, 2)},
        ),
    ]
