"""OKX API v5 WebSocket (public, private and business endpoints)."""
