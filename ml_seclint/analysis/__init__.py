"""Shared resolution helpers used by every rule: scopes and names, values, calls."""
