"""Tenants (partnerships) and their organisations, loaded from tenants/*.toml."""
