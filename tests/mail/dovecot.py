"""A private Dovecot (Debian's dovecot-imapd and dovecot-lmtpd, 2.3) for the tests: its own
configuration, directories, log and free ports in a temporary directory, never the machine's
Dovecot service or /etc/dovecot.

It runs unprivileged: started by a normal user it runs as that user; started by root (CI) it runs
as Debian's ``dovecot`` account (``nobody`` without one), the directory handed to it, exactly as
it would for a normal user. Every Dovecot process, and the mail files, belong to that account.

- IMAP on 127.0.0.1: a plain port (STARTTLS offered; plaintext login allowed, as on localhost
  only) and an implicit-TLS port, both with a certificate of the tests' own authority
  (tests/mail/certs.py); IDLE on; SPECIAL-USE folders Sent, Drafts, Trash and Junk created.
- LMTP on 127.0.0.1 (the SMTP server delivers through it).
- Users in passwd-files (one a user) the tests write at run time, Maildir under the temporary
  directory.
- XOAUTH2 and OAUTHBEARER against the local OAuth server's token introspection.
- A master user (``user\\0master\\0password`` over AUTHENTICATE PLAIN) for the tests' helpers to
  read and write any mailbox whatever the user's own password.
"""

import grp
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from base64 import b64encode
from pathlib import Path

from .certs import TestCertificates

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
MASTER_USER = "sdrcrm-master"

CONFIG = """\
# The test suite's private Dovecot (tests/mail/dovecot.py); generated, do not edit.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = sdrcrm-test-{port}
# Names this server in its greetings: the tests know it is theirs, not another run's.
login_greeting = {greeting}
log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 1
first_valid_gid = 1
default_vsz_limit = 512M
# The benchmark holds hundreds of IDLE connections, a few per user.
default_client_limit = 4000
mail_max_userip_connections = 50

# Plaintext login is allowed: the tests connect to 127.0.0.1 only.
disable_plaintext_auth = no
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login xoauth2 oauthbearer
auth_master_user_separator = *
auth_failure_delay = 0
auth_verbose = yes
auth_cache_size = 0

mail_location = maildir:~/Maildir
mail_fsync = never
# When inotify cannot watch a folder (limits), IDLE falls back to looking this often.
mailbox_idle_check_interval = 2 secs
imap_idle_notify_interval = 2 mins
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
}}

passdb {{
  driver = passwd-file
  master = yes
  args = scheme=PLAIN {root}/masters
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = username_format=%Lu {root}/users/%Lu
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {root}/users/%Lu
}}

service imap-login {{
  chroot =
  service_count = 0
  process_min_avail = 1
  client_limit = 2000
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service imap {{
  process_limit = 2000
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service anvil {{
  chroot =
  client_limit = 4100
  # No auth penalty: anvil would delay each failed login from 127.0.0.1 longer (2 s, 4 s,
  # up to 15 s), and the tests fail logins on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service ipc {{
  chroot =
}}
service old-stats {{
  chroot =
}}
service auth {{
  client_limit = 4100
}}
"""

OAUTH2 = """\
introspection_mode = post
introspection_url = {introspect_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


class PortTaken(RuntimeError):
    """A port chosen free was bound by someone else first."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _account() -> tuple[pwd.struct_passwd, grp.struct_group]:
    """Who the Dovecot processes run as: ourselves, or an unprivileged account if we are root."""
    if os.geteuid() != 0:
        account = pwd.getpwuid(os.geteuid())
        return account, grp.getgrgid(os.getegid())
    for name in ("dovecot", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        return account, grp.getgrgid(account.pw_gid)
    raise RuntimeError("running as root, and neither a 'dovecot' nor a 'nobody' account exists")


class Dovecot:
    def __init__(self, root: Path, *, certs: TestCertificates, introspect_url: str):
        self.root = root
        self.certs = certs
        self.introspect_url = introspect_url
        self._choose_ports()
        self.greeting = f"sdrcrm-test-{secrets.token_hex(6)}"
        self.account, self.group = _account()
        self.master_password = secrets.token_urlsafe(18)
        self.process: subprocess.Popen | None = None
        self.config = root / "dovecot.conf"
        self.log = root / "dovecot.log"
        self._generation = 0

    def _choose_ports(self) -> None:
        self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _owned(self, path: Path) -> None:
        if self.as_root:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def _write(self, path: Path, text: str, mode: int = 0o600) -> None:
        """Written whole (a reader never sees half a file), owned by Dovecot's account. The
        modification time steps forward a whole second each time: Dovecot notices a changed
        passwd-file by its mtime and size, and two writes within a second may keep the size."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.chmod(tmp, mode)
        self._owned(tmp)
        os.replace(tmp, path)
        self._generation += 1
        stamp = 1_000_000_000 + self._generation
        os.utime(path, (stamp, stamp))

    def write_user(self, email: str, password: str) -> None:
        """A user's passwd-file (one per user: Dovecot looks a file up again at most once a
        second, but a file it found missing is read afresh, so a new user can log in at once).
        A changed password waits until Dovecot will look again."""
        email = email.lower()
        if any(c in email for c in ":\n /") or email.startswith("."):
            raise ValueError(f"not a usable test address: {email!r}")
        path = self.root / "users" / email
        existed = path.exists()
        encoded = b64encode(password.encode()).decode()
        home = self.root / "mail" / email
        self._write(path, f"{email}:{{PLAIN.b64}}{encoded}::::{home}::\n")
        if existed:
            time.sleep(1.05 - time.time() % 1)  # into the next second

    def _prepare(self) -> None:
        os.chmod(self.root, 0o755)
        for name in ("run", "state", "mail", "users"):
            (self.root / name).mkdir(exist_ok=True)
            self._owned(self.root / name)
        self._owned(self.root)
        self._write(self.root / "masters", f"{MASTER_USER}:{self.master_password}\n")
        self._write(self.root / "oauth2.conf.ext",
                    OAUTH2.format(introspect_url=self.introspect_url))  # fmt: skip
        for path in (self.certs.cert_file, self.certs.key_file):
            self._owned(path)
        self.config.write_text(
            CONFIG.format(
                root=self.root, user=self.account.pw_name, group=self.group.gr_name,
                cert=self.certs.cert_file, key=self.certs.key_file, imap_port=self.imap_port,
                imaps_port=self.imaps_port, lmtp_port=self.lmtp_port, port=self.imap_port,
                greeting=self.greeting,
            )
        )  # fmt: skip
        os.chmod(self.config, 0o644)

    def _as_account(self) -> dict:
        if not self.as_root:
            return {}
        return {"user": self.account.pw_uid, "group": self.group.gr_gid, "extra_groups": []}

    def start(self, timeout: float = 30) -> None:
        """Started and answering. A free port taken by someone else between choosing it and
        binding it (other test runs on the machine) means new ports and another try."""
        if not Path(DOVECOT).exists():
            raise RuntimeError(
                f"{DOVECOT} is missing: install Dovecot (Debian: apt-get install dovecot-imapd "
                "dovecot-lmtpd; .ci/run does this). The tests start their own; the system "
                "service need not run."
            )
        for attempt in range(5):
            try:
                return self._start(timeout)
            except PortTaken:
                if attempt == 4:
                    raise
                self._choose_ports()

    def _start(self, timeout: float) -> None:
        self._prepare()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            cwd=self.root, **self._as_account(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode(errors="replace")
                self.process = None
                if "Address already in use" in stderr + self.log_tail():
                    raise PortTaken(stderr)
                raise RuntimeError(f"Dovecot did not start:\n{stderr}\n{self.log_tail()}")
            if self._answers(self.imap_port) and self._answers(self.lmtp_port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not answer within {timeout}s:\n{self.log_tail()}")

    def _answers(self, port: int) -> bool:
        """Our Dovecot greets on ``port`` (not another server that holds it)."""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                return self.greeting.encode() in s.recv(200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def doveadm(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        result = subprocess.run(
            [DOVEADM, "-c", str(self.config), *args], capture_output=True, text=True,
            cwd=self.root, **self._as_account(),
        )  # fmt: skip
        if result.returncode not in ok:
            raise RuntimeError(f"doveadm {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
