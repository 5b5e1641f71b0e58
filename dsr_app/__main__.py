"""``python -m dsr_app``: the same as the ``dsr`` command."""

from dsr_app.cli import cli

if __name__ == "__main__":
    cli(prog_name="dsr")
