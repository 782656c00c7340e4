"""The referral-pack benchmark: building a 250-entry pack (chronology.pdf with its chart, every
email, consent, slips, the manifest, the ZIP) beside bare WeasyPrint rendering the same
chronology HTML in the same run. Target: the whole pack in at most 3 s on this machine.

    python bench/pack.py [--entries N] [--emails N] [--runs N] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.caselog import LogRequest, log_entry  # noqa: E402
from casework.consent import record_consent  # noqa: E402
from casework.pack import build_pack  # noqa: E402
from casework.packview import PackView  # noqa: E402
from casework.packzip import pack_zip  # noqa: E402
from casework.sending import send_letter  # noqa: E402
from supportfirst.bootstrap import App, bootstrap  # noqa: E402
from supportfirst.settings import Settings  # noqa: E402
from tests import builders as b  # noqa: E402
from tests.cases import HEAD, one_family  # noqa: E402

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


async def seed(app: App, entries: int, emails: int) -> None:
    await one_family(app, NOW, marks_from=date(2024, 9, 4))
    for parent, address in (("P1", "alex@example.org"), ("P2", "jo@example.org")):
        await record_consent(
            app.uow(),
            app.evidence(),
            parent,
            address,
            "form",
            date(2025, 3, 1),
            "o",
            NOW,
            ("form.pdf", b"%PDF-1.4 signed form"),
        )
    for _ in range(emails // 2):  # one letter is an email to each of the two parents
        await send_letter(
            app.uow(),
            app.mailroom(),
            "meeting_invite",
            b.UPN_1,
            HEAD,
            date(2025, 3, 10),
            NOW,
        )
    already = 2 + 2 * (emails // 2)  # consent entries and letters are chronology entries too
    for n in range(max(0, entries - already)):
        request = LogRequest(b.UPN_1, "contact", "Mr Jones", date(2025, 3, 11), f"Call {n}")
        await log_entry(app.uow(), request, NOW)


def median_time(fn: object, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


async def main_async(args: argparse.Namespace) -> None:
    from weasyprint import HTML

    from documents.chronology import chronology_html, chronology_pdf

    with tempfile.TemporaryDirectory() as folder:
        app = bootstrap(Settings(data_dir=Path(folder)))
        await seed(app, args.entries, args.emails)
        views: list[PackView] = []

        def render(view: PackView) -> bytes:
            views.append(view)
            return chronology_pdf(view)

        chronology_pdf_warm = await build_pack(
            app.uow(), app.evidence(), render, b.UPN_1, NOW, "Ms Patel"
        )
        print(
            f"pack: {len(chronology_pdf_warm.files)} files, "
            f"{len(views[-1].timeline)} chronology entries"
        )
        whole: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            pack = await build_pack(app.uow(), app.evidence(), render, b.UPN_1, NOW, "Ms Patel")
            data = pack_zip(pack)
            whole.append(time.perf_counter() - started)
        html = chronology_html(views[-1])
        bare, _ = median_time(lambda: HTML(string=html).write_pdf(), args.runs)
        ours, _ = median_time(lambda: chronology_pdf(views[-1]), args.runs)
        pack_s = statistics.median(whole)
        print(f"{'':34}{'median s':>10}")
        print(
            f"{'whole pack (build + ZIP)':34}{pack_s:>10.2f}   target <= 3 s: "
            f"{'pass' if pack_s <= 3 else 'SHORT'}"
        )
        print(f"{'  of which chronology.pdf':34}{ours:>10.2f}")
        print(
            f"{'bare WeasyPrint, same HTML':34}{bare:>10.2f}   ratio pack/bare {pack_s / bare:.2f}"
        )
        print(f"ZIP {len(data) / 1024:.0f} KiB; runs {', '.join(f'{t:.2f}' for t in whole)}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await build_pack(app.uow(), app.evidence(), chronology_pdf, b.UPN_1, NOW, "Ms Patel")
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(15)
            print(out.getvalue())
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=250)
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
