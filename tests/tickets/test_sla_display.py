"""``tickets.sla_display``: how a ticket's SLA reads on the pages, tested alone (no database: unsaved tickets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets.models import Ticket
from tickets.sla_display import duration_label, health_label, live_state, overall_state, sla_targets
from tickets.states import SlaState, TicketStatus

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def ticket(**fields) -> Ticket:
    defaults = dict(
        status=TicketStatus.OPEN, response_state=SlaState.ON_TRACK, resolution_state=SlaState.ON_TRACK,
        response_target_minutes=60, resolution_target_minutes=240, resolution_elapsed_minutes=0.0,
        response_due_at=NOW + timedelta(minutes=30), response_at_risk_at=NOW + timedelta(minutes=15),
        resolution_due_at=NOW + timedelta(hours=3), resolution_at_risk_at=NOW + timedelta(hours=2),
    )
    return Ticket(**(defaults | fields))


def test_duration_label_signs_and_units():
    assert [duration_label(s) for s in (59, 45 * 60, 3 * 3600 + 300, 2 * 86400 + 4 * 3600, -20 * 60)] == [
        "0m", "45m", "3h 05m", "2d 4h", "-20m"]


def test_live_state_moves_on_when_an_instant_passed_since_the_scan():
    due, at_risk = NOW + timedelta(minutes=10), NOW - timedelta(minutes=1)
    assert live_state(SlaState.ON_TRACK, due, at_risk, NOW) == SlaState.AT_RISK
    assert live_state(SlaState.ON_TRACK, NOW, at_risk, NOW) == SlaState.BREACHED
    assert live_state(SlaState.AT_RISK, NOW - timedelta(seconds=1), None, NOW) == SlaState.BREACHED
    assert live_state(SlaState.MET, NOW - timedelta(days=1), at_risk, NOW) == SlaState.MET  # done stays done
    assert live_state(SlaState.PAUSED, None, None, NOW) == SlaState.PAUSED


def test_targets_and_overall_state():
    t = ticket()
    response, resolution = sla_targets(t, NOW)
    assert (response.key, response.state, response.left_label) == ("response", SlaState.ON_TRACK, "30m")
    assert (resolution.state, resolution.left_label, resolution.target_label) == (SlaState.ON_TRACK, "3h 00m", "4h 00m")
    assert overall_state([response, resolution], t) == SlaState.ON_TRACK
    late = ticket(response_due_at=NOW - timedelta(minutes=5))
    assert overall_state(sla_targets(late, NOW), late) == SlaState.BREACHED
    assert sla_targets(late, NOW)[0].left_label == "-5m"


def test_paused_ticket_shows_minutes_left_on_the_stopped_clock():
    t = ticket(status=TicketStatus.PENDING_CUSTOMER, resolution_state=SlaState.PAUSED, resolution_due_at=None,
               resolution_elapsed_minutes=90.0)
    resolution = sla_targets(t, NOW)[1]
    assert (resolution.state, resolution.seconds_left, resolution.left_label) == (SlaState.PAUSED, None, "2h 30m")
    assert overall_state(sla_targets(t, NOW), t) == SlaState.PAUSED


def test_done_ticket_is_met_unless_breached():
    t = ticket(status=TicketStatus.RESOLVED, response_state=SlaState.MET, resolution_state=SlaState.MET,
               first_response_at=NOW, resolved_at=NOW)
    assert overall_state(sla_targets(t, NOW), t) == SlaState.MET
    assert health_label("at_risk") == "At risk" and health_label(None) == ""
