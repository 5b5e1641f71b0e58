"""Removal from training data: signed removal lists, their hand-out and
acknowledgement, and applying and verifying them on manifests."""
