"""Telling people about complaints: in-app notices, emails and webhooks (``notifications``)."""
