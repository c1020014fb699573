"""The one user and one organization the sandbox serves (Toggl-like ids, fake personal data)."""

from __future__ import annotations

USER_ID = 10658406
ORGANIZATION_ID = 8252502
ORGANIZATION_NAME = "Sandbox Organization"
USER_EMAIL = "sandbox@example.com"
USER_FULLNAME = "Sandbox User"
USER_TIMEZONE = "UTC"
MASKED_TOKEN = "********************************"  # Toggl masks api_token like this (recorded)
DEMO_WORKSPACE_NAME = "Demo Workspace"
