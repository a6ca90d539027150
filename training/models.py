"""Training programmes, assignments and rotations (see the training issue)."""
