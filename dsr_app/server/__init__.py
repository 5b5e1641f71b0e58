"""What the JSON API and the web pages share: security headers, rate limits,
cross-site checks, and serving the app."""
