"""Errors whose message is written for the streamer.

Most exceptions carry text for developers (a class name, a field, a repr); the app never
shows that text (see :mod:`companion.services.messages`). A :class:`UserError` is the
exception: the code that raises it wrote a sentence meant to be read in the window, so the
message table shows it as it is.
"""

from __future__ import annotations


class UserError(ValueError):
    """A refusal explained in the streamer's words (``"Sign in to manage rewards."``).

    A ``ValueError``, so code that catches bad input keeps catching it.
    """
