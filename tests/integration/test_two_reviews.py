"""Two `serve` processes on one database: their daily reviews never run at the same time (a
PostgreSQL advisory lock; SQLite's write lock), so each event is raised once. Real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from supportfirst.bootstrap import App
from tests.cases import one_family

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def review(db_url: str, folder: Path, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SUPPORTFIRST_DATA_DIR": str(folder)}
    return subprocess.Popen(
        [sys.executable, "-m", "supportfirst", "review", "--on", "2025-03-10", "--json", *options],
        env={**env, "SUPPORTFIRST_DATABASE_URL": db_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_two_reviews_at_once_raise_each_event_once(
    app: App, db_url: str, tmp_path: Path
) -> None:
    await one_family(app, NOW, marks_from=date(2025, 1, 6))
    runs = [review(db_url, tmp_path / f"serve{i}") for i in range(2)]
    kinds: list[str] = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        kinds += [e["kind"] for e in json.loads(out)["events"]]
    assert kinds.count("ThresholdMet") == 1
    async with app.uow() as uow:
        assert len(await uow.outbox.undelivered(1000)) == len(kinds)


async def test_two_reviews_run_once_a_day_review_the_day_once(
    app: App, db_url: str, tmp_path: Path
) -> None:
    """What two `serve` processes do each day (daily_review_once): one reviews, the other finds
    the day done and does nothing, rather than reviewing the whole county again."""
    await one_family(app, NOW, marks_from=date(2025, 1, 6))
    runs = [review(db_url, tmp_path / f"serve{i}", "--once") for i in range(2)]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        outputs.append(json.loads(out))
    assert sorted(bool(o.get("already_reviewed")) for o in outputs) == [False, True]
    [done] = [o for o in outputs if not o.get("already_reviewed")]
    assert [e["kind"] for e in done["events"]] == ["ThresholdMet"]
    again = review(db_url, tmp_path / "restart", "--once")
    out, err = again.communicate(timeout=120)
    assert json.loads(out) == {"on": "2025-03-10", "events": [], "already_reviewed": True}
