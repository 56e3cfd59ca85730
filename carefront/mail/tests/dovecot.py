"""A private Dovecot for the IMAP tests: Debian's dovecot-imapd, run as `dovecot -F -c CONFIG` with its own
configuration, passwd-file user, maildir and self-signed certificate in a temporary directory, listening on
127.0.0.1 only (plain and STARTTLS on one port, IMAPS on another). `make dovecot` installs it."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from carefront.core.tests.processes import free_port

DOVECOT = "/usr/sbin/dovecot"
# A user and a password that need percent-encoding in a URL, so that the tests cover the decoding.
USER = "help@carefront.example"
PASSWORD = "s3cret/p@ss word?#"
_FLAGS = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)")


def quoted(folder: str) -> str:
    """An IMAP quoted string (the test folders are ASCII)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Dovecot:
    """A running test server, and a few imaplib helpers to put mail in and look at it."""

    host: str
    port: int
    tls_port: int
    root: Path

    def url(self, folder: str, *, scheme: str = "imap", **options: str) -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        query = f"?{urlencode(options, quote_via=quote)}" if options else ""
        credentials = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}"
        return f"{scheme}://{credentials}@{self.host}:{port}/{quote(folder, safe='')}{query}"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4(self.host, self.port, timeout=30)
        try:
            connection.login(USER, PASSWORD)
            yield connection
        finally:
            connection.logout()

    def create(self, folder: str) -> None:
        with self.client() as connection:
            typ, data = connection.create(quoted(folder))
            assert typ == "OK", data

    def append(self, folder: str, raw: bytes) -> None:
        with self.client() as connection:
            typ, data = connection.append(quoted(folder), None, None, raw)
            assert typ == "OK", data

    def flags(self, folder: str) -> list[set[str]]:
        """Each message's flags, in UID order ([] for an empty or missing folder)."""
        with self.client() as connection:
            typ, _data = connection.select(quoted(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = connection.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
        found = [_FLAGS.search(item) for item in data if isinstance(item, bytes)]
        return [set(match.group(2).decode().split()) for match in sorted(filter(None, found), key=_uid)]


def _uid(match: re.Match[bytes]) -> int:
    return int(match.group(1))


def _config(root: Path, *, port: int, tls_port: int) -> str:
    if os.getuid() == 0:
        # Dovecot will not give mail to root: the test user's files belong to nobody.
        mail_user = pwd.getpwnam("nobody")
        process_users = ""  # the packaged dovenull and dovecot users
        login_chroot = ""
    else:
        # Not root: every Dovecot process runs as this user (no chroot, no privileged users or groups).
        mail_user = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(os.getgid()).gr_name
        process_users = (
            f"default_login_user = {mail_user.pw_name}\ndefault_internal_user = {mail_user.pw_name}\n"
            f"default_internal_group = {group}\n"
        )
        login_chroot = "  chroot =\n"
    home = root / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{home}::\n")
    # disable_plaintext_auth keeps its default (yes): Dovecot counts 127.0.0.1 as secure, so plain LOGIN
    # works here and nowhere else.
    return f"""\
instance_name = carefront-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{process_users}protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
mail_location = maildir:~/Maildir
service imap-login {{
{login_chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


def _self_signed_certificate(root: Path) -> None:
    # openssl comes with Dovecot's package (a dependency of dovecot-core).
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except ConnectionRefusedError:
        return False


def _wait_until_listening(process: subprocess.Popen[bytes], server: Dovecot, *, timeout: float = 30.0) -> None:
    """Connect until both ports answer; between attempts, wait on the process (so a crash shows at once)."""
    deadline = time.monotonic() + timeout
    waiting = [server.port, server.tls_port]
    while waiting:
        if not _accepts(server.host, waiting[0]):
            if time.monotonic() > deadline:
                raise AssertionError(f"Dovecot did not listen within {timeout}s; its log:\n{server.log()}")
            try:
                code = process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"Dovecot exited with status {code}; its log:\n{server.log()}")
        waiting.pop(0)


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    """Start a private Dovecot, yield it, stop it and remove its files."""
    if not os.access(DOVECOT, os.X_OK):
        raise AssertionError(f"The IMAP tests need Dovecot at {DOVECOT}: run `make dovecot`.")
    # Short paths (the sockets under base_dir have a length limit), readable by Dovecot's own users.
    root = Path(tempfile.mkdtemp(prefix="cf-dovecot-"))
    root.chmod(0o755)
    process: subprocess.Popen[bytes] | None = None
    try:
        _self_signed_certificate(root)
        server = Dovecot(host="127.0.0.1", port=free_port(), tls_port=free_port(), root=root)
        config = root / "dovecot.conf"
        config.write_text(_config(root, port=server.port, tls_port=server.tls_port))
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdin=subprocess.DEVNULL)
        _wait_until_listening(process, server)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)
