"""The exception that carries a user's mistake to the command line."""


class CorrganError(Exception):
    """A problem with the user's input, reported as one ``Error: ...`` line.

    The message says what is wrong, where (file, column, row count) and how to
    fix it. The command-line layer prints it without a traceback and exits
    with code 2; library users can catch it like any other exception.
    """
