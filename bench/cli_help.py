"""The CLI start-up benchmark: `supportfirst --help` beside a bare two-command Typer app's
`--help`, in the same venv and the same run, N runs each, interleaved (hyperfine-style: the
median and the fastest run of each, and their ratio). Target: ratio <= 2.

    python bench/cli_help.py [--runs 20] [--warmup 2] [--entry-point | --module] [--ordinary]

`--ordinary` also times a command that opens the database (`staff list` on a data folder `init`
made in the temp folder): no target, the figure for a command that runs.

By default it runs the installed entry point (`supportfirst` next to this Python) when there
is one, else `python -m supportfirst`. See bench/README.md, "CLI start-up".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_APP = '''"""A bare two-command Typer app: what any Typer CLI pays to print its help."""
import typer

app = typer.Typer(help="A bare app.", no_args_is_help=True, add_completion=False)


@app.command()
def hello(name: str) -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def bye(name: str) -> None:
    """Say goodbye."""
    typer.echo(f"bye {name}")


if __name__ == "__main__":
    app()
'''

TARGET = 2.0


def supportfirst_command(mode: str, *args: str) -> list[str]:
    entry = Path(sys.executable).with_name("supportfirst")
    if mode == "entry-point" or (mode == "auto" and entry.exists()):
        if not entry.exists():
            raise SystemExit(f"no entry point at {entry}: pip install -e . first")
        return [str(entry), *(args or ("--help",))]
    return [sys.executable, "-m", "supportfirst", *(args or ("--help",))]


def once(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def measure(commands: dict[str, list[str]], runs: int, warmup: int) -> dict[str, list[float]]:
    """Interleaved, so a busy machine slows both sides alike."""
    env = {**os.environ, "COLUMNS": "100"}
    for _ in range(warmup):  # fill the OS's file cache and write the .pyc files
        for command in commands.values():
            once(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(once(command, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--entry-point", dest="mode", action="store_const", const="entry-point")
    how.add_argument("--module", dest="mode", action="store_const", const="module")
    parser.add_argument("--ordinary", action="store_true", help="also time `staff list`")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench_cli_help_"))
    try:
        bare = folder / "bare.py"
        bare.write_text(BARE_APP)
        commands = {
            "supportfirst --help": supportfirst_command(args.mode or "auto"),
            "bare Typer --help": [sys.executable, str(bare), "--help"],
        }
        if args.ordinary:
            os.environ["SUPPORTFIRST_DATA_DIR"] = str(folder / "data")
            os.environ.pop("SUPPORTFIRST_DATABASE_URL", None)
            once(supportfirst_command(args.mode or "auto", "init"), dict(os.environ))
            commands["supportfirst staff list"] = supportfirst_command(
                args.mode or "auto", "staff", "list"
            )
        times = measure(commands, args.runs, args.warmup)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{args.runs} runs each, after {args.warmup} warm-up; {sys.executable}")
    for name, command in commands.items():
        t = times[name]
        print(
            f"  {name:<20} median {statistics.median(t) * 1000:6.0f} ms"
            f"   min {min(t) * 1000:6.0f} ms   ({' '.join(command[:1])})"
        )
    ours, bare_times = times["supportfirst --help"], times["bare Typer --help"]
    median_ratio = statistics.median(ours) / statistics.median(bare_times)
    min_ratio = min(ours) / min(bare_times)
    verdict = "met" if median_ratio <= TARGET else "MISSED"
    print(f"  ratio: median {median_ratio:.2f}, min {min_ratio:.2f}", end=" ")
    print(f"(target <= {TARGET}: {verdict})")
    if median_ratio > TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
