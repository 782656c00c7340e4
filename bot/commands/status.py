"""A pupil's status as chat text (private answers to authorised staff: names are shown)."""

from __future__ import annotations

from casework.status import PupilStatus


def status_text(s: PupilStatus) -> str:
    p, t = s.pupil, s.threshold
    met = "meets the national threshold" if t.met else "below the threshold"
    lines = [
        f"*{p.first_name} {p.last_name}* ({p.upn}), Year {p.year_group}, "
        f"{s.school} ({s.authority})",
        f"{t.unauthorised_sessions} unauthorised sessions in the window from "
        f"{t.window_start or '-'} to {t.window_end}: {met}",
        f"Stage: {s.stage or 'none logged'}",
    ]
    if s.open_notice:
        n = s.open_notice
        runs = f"{n.served_start} to {n.served_end}" if n.served_end else "not yet served"
        lines.append(f"Notice to Improve {n.id}: {runs} ({n.status})")
    for parent in s.parents:
        how = f"email to {parent.email}" if parent.email else "post (no consent to email)"
        lines.append(f"Parent {parent.parent_id} {parent.name}: {how}")
    lines.append(f"Support logged: {len(s.support)}")
    return "\n".join(lines)
