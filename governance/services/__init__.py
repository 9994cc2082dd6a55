"""Governance actions (roles, rights, moderation, retention, signed links, uploads): each atomic, each writing the audit log."""
