import sys

try:
    from survey.site.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C at any point, Python's own imports included: one line, no stack
    print("interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
