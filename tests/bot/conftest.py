"""Fixtures for the chat tests: the Slack Web API stand-in and the Teams webhook receiver."""

from tests.bot.test_teams import receiver
from tests.slackapi import slack_api

__all__ = ["receiver", "slack_api"]
