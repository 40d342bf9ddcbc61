"""Accounts for the schemathesis runs, made with the command line as an
operator would make them."""

import subprocess


def make_admin(binary, database, username, password):
    """An administrator with a confirmed address."""
    subprocess.run(
        [
            binary, "users", "create", "--database", database,
            "--username", username, "--email", f"{username}@example.test",
            "--role", "admin", "--confirmed", "--password-stdin",
        ],
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
