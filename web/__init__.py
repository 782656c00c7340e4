"""The case pages `serve` serves (an adapter, like bot/ and mail/): server-rendered HTML that
works without JavaScript, behind a sign-in, every view and act audited."""
