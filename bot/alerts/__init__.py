"""Alerts: events from the durable outbox, routed to Slack, Teams or the console, shown once."""
