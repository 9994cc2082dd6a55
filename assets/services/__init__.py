"""Service functions: every state change of assets goes through here (and writes the audit log)."""
