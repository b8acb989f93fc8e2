"""Errors a user can fix. The CLI turns them into one line on stderr and exit code 2."""


class UserError(Exception):
    """A mistake in the user's input: bad option value, missing file, unknown name."""
