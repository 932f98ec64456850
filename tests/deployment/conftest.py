"""Deployment tests that run the cloud stack need the real mail servers."""

from tests.email.conftest import mail  # noqa: F401 - a real Dovecot + SMTP per test
