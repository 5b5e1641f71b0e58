"""Training: the runs training teams register, and the clearance gate that says
whether a dataset version may be trained on."""
