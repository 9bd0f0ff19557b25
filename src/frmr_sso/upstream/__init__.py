"""Relying-party connectors: ESIA and any standard OpenID provider."""
