"""The exwire engine: private, free to change between releases.

``protocol`` (sans-I/O codec contract) · ``transport`` (socket adapters) ·
``connection`` (one socket + its reader thread) · ``dispatch`` (callback lanes) ·
``subscription`` (stream handles and the routing registry) · ``backoff`` ·
``codec`` (shared cattrs converter) · ``client`` (BaseClient).
"""
