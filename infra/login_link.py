"""The sign-in link `make run` prints: the proxy's address with the learner's token in the
fragment (`#token=…`). A fragment never leaves the browser (no request line, no proxy
log); the frontend stores the token and takes it out of the address bar and the history.

`python -m infra.login_link URL TOKEN_FILE` prints it (infra/scripts/run.sh does).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote


def login_link(proxy_url: str, token: str) -> str:
    """The link that signs the browser in as the token's learner and opens Estudiar."""
    token = token.strip()
    if not token:
        raise ValueError("empty token: create the learner first (make run does)")
    return f"{proxy_url.rstrip('/')}/#token={quote(token, safe='')}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m infra.login_link PROXY_URL TOKEN_FILE", file=sys.stderr)
        return 2
    print(login_link(args[0], Path(args[1]).read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
