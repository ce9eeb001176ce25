"""exwire's benchmarks: exwire side by side with a bare websocket-client loop, in one run.

``python -m benchmarks [--quick]``; see ``benchmarks/README.md`` for what each figure
means. Not part of the installed package: run it from the repository root.
"""
