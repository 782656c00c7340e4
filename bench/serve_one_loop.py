"""`supportfirst serve` as it was before its background loops got their own thread: everything
on one event loop. For bench/slack_ack.py --serve-script, to measure the ack beside it.

    python bench/serve_one_loop.py --port P
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import supportfirst.serve  # noqa: E402
from supportfirst.cli.main import main  # noqa: E402


async def on_this_loop(make: Callable[[], Coroutine[Any, Any, Any]], name: str) -> Any:
    return await make()


if __name__ == "__main__":
    os.environ["SUPPORTFIRST_BACKGROUND"] = "thread"  # the thread's in_own_thread, replaced
    supportfirst.serve.in_own_thread = on_this_loop  # type: ignore[assignment]
    sys.argv = ["supportfirst", "serve", *sys.argv[1:]]
    main()
