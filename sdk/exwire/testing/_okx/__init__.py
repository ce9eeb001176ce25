"""Implementation of :mod:`exwire.testing.okx`, one module per concern: :mod:`.common`
(instruments, codes, signing, checksum), :mod:`.market` (the generated books),
:mod:`.channels` (channel rules and public pushes), :mod:`.orders` and :mod:`.trading`
(the matching engine), :mod:`.private` (order operations and account pushes),
:mod:`.controls` (faults and inspection) and :mod:`.emulator` (the server)."""
