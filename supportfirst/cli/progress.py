"""Progress of a long import on a terminal (rich): rows read, rows/s, time left. Nothing at all
when stderr is not a terminal (a scheduled job, a pipe, the tests)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Below this many lines an import takes a moment: no bar.
LONG_IMPORT_LINES = 20_000


def _lines(file: Path) -> int:
    """The file's lines, header included (for SIMS's XML report: its records, and one)."""
    try:
        with file.open("rb") as f:
            first = f.read(1 << 20)
            mark = b"</Record>" if first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else b"\n"
            chunks = iter(lambda: f.read(1 << 20), b"")
            count = sum(c.count(mark) for c in itertools.chain([first], chunks))
            return count + 1 if mark != b"\n" else count
    except OSError:
        return 0  # the import itself names the file it cannot read


@contextmanager
def rows_progress(file: Path, stream: object = None) -> Iterator[Callable[[int], None] | None]:
    """A `tick(rows)` to call as rows are read, or None when no bar is shown."""
    out = stream if stream is not None else sys.stderr
    if not getattr(out, "isatty", lambda: False)():
        yield None
        return
    total = _lines(file)
    if total < LONG_IMPORT_LINES:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(f"{task.speed or 0:,.0f} rows/s")

    console = Console(file=out, stderr=stream is None)  # type: ignore[arg-type]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"reading {file.name}", total=max(total - 1, 1))

        def tick(rows: int) -> None:
            progress.advance(task, rows)

        yield tick


@contextmanager
def steps_progress(stream: object = None) -> Iterator[Callable[[str], None]]:
    """A `step(text)` naming what a long command is doing: on a terminal a spinner with that
    text and the time so far (stderr), gone when done; nothing at all elsewhere."""
    out = stream if stream is not None else sys.stderr
    if not getattr(out, "isatty", lambda: False)():
        yield lambda text: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=out, stderr=stream is None)  # type: ignore[arg-type]
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=None)

        def step(text: str) -> None:
            progress.update(task, description=text)
            progress.refresh()  # each step is shown, however quickly the next follows

        yield step
