"""The call list: generating follow-up calls (``generate``), taking one under a lease and
working it (``tasks``), submitting it (``submit``), operators' pauses (``pauses``) and the
counts of the start page and the supervisor's board (``stats``)."""
