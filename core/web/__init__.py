"""The portal's pages: server-rendered, GOV.UK Design System, HTMX for partial updates."""
