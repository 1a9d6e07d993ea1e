"""Runs sushy-tools' emulator; with ``--fast``, power changes take effect at once.

The fake systems driver delays every power change by a random 1-11 s, as real BMCs take
seconds; tests that are not about that delay patch it to 0 (see REAL-PEERS.md).
"""

import sys

if __name__ == "__main__":
    config, fast = sys.argv[1], "--fast" in sys.argv[2:]
    if fast:
        from sushy_tools.emulator.resources.systems import fakedriver

        fakedriver.random.randint = lambda a, b: 0  # type: ignore[assignment]
    from sushy_tools.emulator import main

    sys.argv = ["sushy-emulator", "--config", config]
    sys.exit(main.main())
