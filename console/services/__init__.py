"""Business operations. They take plain arguments (never ``request`` or ``g``), flush, and leave
the commit to the caller, so views, the JSON API, the CLI and RQ jobs share them."""
