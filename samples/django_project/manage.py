#!/usr/bin/env python
"""Django's command-line utility for the exwire sample project.

    python manage.py migrate
    python manage.py record_trades --exchange kraken --symbol XBT/USD --seconds 5
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exwire_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
