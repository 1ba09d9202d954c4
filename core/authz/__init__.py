"""Authorization: who is acting, in which tenant, and what they may do. Deny by default."""
