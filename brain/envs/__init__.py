"""Project environments behind one small interface; see `base.Environment`."""
