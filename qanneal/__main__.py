"""``python -m qanneal`` runs the command line."""

from qanneal.cli import main

if __name__ == "__main__":
    main()
