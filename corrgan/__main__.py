"""``python -m corrgan``, so that ``accelerate launch -m corrgan train`` works."""

from corrgan.cli import main

if __name__ == "__main__":
    main()
