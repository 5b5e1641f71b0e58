"""Legal review: the deadline-ordered queue, decisions and the notices they
send, response letters, and the supervisory authorities letters name."""
