"""Sharing: launch links, `brain launch`, and the hub web app."""
