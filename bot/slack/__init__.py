"""Slack: the Bolt app (commands, modals, buttons, App Home) and alerts by the Web API."""
