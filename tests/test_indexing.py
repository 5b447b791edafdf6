"""The optional Indexing API step, against a local fake endpoint: never the network, never a preview."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from build import main
from tests.conftest import MakeProject


@contextmanager
def fake_api(status: int = 200) -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"auth": self.headers["Authorization"], **body})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v3/urlNotifications:publish", received
    finally:
        server.shutdown()
        server.server_close()


def built(root: Path, out: Path, *extra: str) -> Path:
    assert main(["--project", str(root), "build", "--out", str(out), *extra]) == 0
    return out


def test_new_and_removed_postings_are_announced(make_project: MakeProject, tmp_path: Path, monkeypatch,
                                                capsys) -> None:
    root = make_project()
    site = built(root, tmp_path / "site")
    previous = tmp_path / "previous.json"
    data = json.loads((site / "jobs.json").read_text())
    gone = "https://tiny.example.org/careers/en/jobs/old-intern/"
    data["languages"]["en"] = [{"url": gone}]
    previous.write_text(json.dumps(data))
    monkeypatch.setenv("GOOGLE_INDEXING_TOKEN", "secret-token")
    with fake_api() as (endpoint, received):
        assert main(["notify-google", str(site), "--previous", str(previous), "--endpoint", endpoint]) == 0
    assert received == [  # the French posting stays: it was published before and still is
        {"auth": "Bearer secret-token", "url": "https://tiny.example.org/careers/en/jobs/data-intern/",
         "type": "URL_UPDATED"},
        {"auth": "Bearer secret-token", "url": gone, "type": "URL_DELETED"},
    ]
    assert "sent 2 of 2 notification(s)" in capsys.readouterr().out


def test_off_unless_configured_and_never_for_a_preview(make_project: MakeProject, tmp_path: Path, monkeypatch,
                                                       capsys) -> None:
    root = make_project()
    monkeypatch.delenv("GOOGLE_INDEXING_TOKEN", raising=False)
    with fake_api() as (endpoint, received):
        assert main(["notify-google", str(built(root, tmp_path / "site")), "--endpoint", endpoint]) == 0
        assert "not configured" in capsys.readouterr().out
        monkeypatch.setenv("GOOGLE_INDEXING_TOKEN", "t")
        preview = built(root, tmp_path / "preview", "--preview")
        assert main(["notify-google", str(preview), "--endpoint", endpoint]) == 1
        assert "never a preview" in capsys.readouterr().err
    assert received == []


@pytest.mark.parametrize("status", [403, 500])
def test_a_refusal_is_an_error_line(make_project: MakeProject, tmp_path: Path, monkeypatch, capsys,
                                    status: int) -> None:
    monkeypatch.setenv("GOOGLE_INDEXING_TOKEN", "t")
    site = built(make_project(), tmp_path / "site")
    with fake_api(status) as (endpoint, _):
        assert main(["notify-google", str(site), "--endpoint", endpoint]) == 1
    assert f"error: URL_UPDATED https://tiny.example.org/careers/en/jobs/data-intern/ was refused ({status}" \
        in capsys.readouterr().err
