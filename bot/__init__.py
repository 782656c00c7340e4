"""Chat adapters: Slack (slack-bolt) and Teams. A thin skin over casework/ (DESIGN.md, 5 and 6)."""
