"""Fixes: what rules attach to findings, and applying them (--fix, --diff)."""
