"""Fixtures for the chat tests."""

from tests.slackapi import slack_api

__all__ = ["slack_api"]
