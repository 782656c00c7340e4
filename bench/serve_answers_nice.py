"""`supportfirst serve` with its answers' thread (Bolt's lazy listeners, supportfirst/serve.py
`_answer`) at a lower CPU priority than the listener's thread, as the background process is:
an experiment for bench/slack_ack.py --serve-script (bench/README.md, "The background process
at a lower CPU priority").

    python bench/serve_answers_nice.py --port P
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import supportfirst.serve  # noqa: E402
from supportfirst.cli.main import main  # noqa: E402

answer = supportfirst.serve._answer
STEPS = 10  # as SUPPORTFIRST_BACKGROUND_NICE's default


async def below_the_listener(*args: Any) -> None:
    # Linux: a nice value per thread; aiosqlite's threads started from here inherit it.
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, own + STEPS))
    await answer(*args)


if __name__ == "__main__":
    supportfirst.serve._answer = below_the_listener  # type: ignore[assignment]
    sys.argv = ["supportfirst", "serve", *sys.argv[1:]]
    main()
