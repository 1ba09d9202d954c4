"""Notifications: each user's task list in the portal, fed by reminder jobs and alerts."""
