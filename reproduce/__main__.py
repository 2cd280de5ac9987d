import sys

try:
    from reproduce.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while Python is still importing, before main() handles it
    print("interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
