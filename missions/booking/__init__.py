"""Proposals and missions: offering a shift, accepting, cancelling, completing; the pages of both sides."""
