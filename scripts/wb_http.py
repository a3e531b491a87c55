"""One JSON call to the Word Bocce API (standard library only), for the test scripts'
Python sides (backup_test_play.py, container_test_play.py)."""

import json
import urllib.error
import urllib.request


def call(base, method, path, body=None, token=None, ok=(200, 201), context=None):
    """`method` `base + path` with `body` as JSON and `token` as the bearer; the answer's JSON
    (None for an empty body). A status outside `ok` raises RuntimeError with the problem's text."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    if status not in ok:
        raise RuntimeError(f"{method} {path}: {status} {text[:300]!r}")
    return json.loads(text) if text else None
