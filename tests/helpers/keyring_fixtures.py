"""Keyring fixtures (owned by the platform/CLI work)."""
