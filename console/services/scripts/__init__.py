"""Call scripts in the database: files in and out, the script for an order, the constructor's
drafts and published versions (``library``)."""
