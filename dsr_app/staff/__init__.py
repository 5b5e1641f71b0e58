"""Staff accounts: roles, passwords, API tokens, browser sessions and the
login throttle."""
