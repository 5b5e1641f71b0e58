"""Requests from people: filing, proving who they are with one-time codes, the
status they follow, and the background jobs each case needs."""
