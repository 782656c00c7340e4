"""Fixtures for the mail tests."""

from tests.mail.smtpservers import smtp_sink

__all__ = ["smtp_sink"]
