"""Servers that answer a few scripted lines, for what the real test servers cannot play: the
big providers' own refusals (Gmail's "[ALERT] Your account is not enabled for IMAP use",
Microsoft's "User is authenticated but not connected"), their folder lists, a server that offers
no STARTTLS, and one that never answers. Each listens on 127.0.0.1 on a free port, in threads
of the test process."""

import base64
import socket
import threading

GMAIL_IMAP_DISABLED = (
    "NO [ALERT] Your account is not enabled for IMAP use. Please visit your Gmail settings "
    "page and enable your account for IMAP access. (Failure)"
)
GMAIL_IMAP_DISABLED_FOR_DOMAIN = (
    "NO [ALERT] IMAP access is disabled for your domain. Please contact your domain "
    "administrator for questions about this feature. (Failure)"
)
GMAIL_APP_PASSWORD_REQUIRED = (
    "NO [ALERT] Application-specific password required: "
    "https://support.google.com/accounts/answer/185833 (Failure)"
)
GMAIL_INVALID_CREDENTIALS = "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
MICROSOFT_NOT_CONNECTED = "BAD User is authenticated but not connected."
MICROSOFT_AUTH_FAILED = "NO AUTHENTICATE failed."

GMAIL_CAPABILITIES = (
    "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR "
    "AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER"
)
MICROSOFT_CAPABILITIES = (
    "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE "
    "NAMESPACE LITERAL+"
)
# LIST answers as the providers give them.
GMAIL_FOLDERS = (
    '(\\HasNoChildren) "/" "INBOX"',
    '(\\HasChildren \\Noselect) "/" "[Gmail]"',
    '(\\All \\HasNoChildren) "/" "[Gmail]/All Mail"',
    '(\\Drafts \\HasNoChildren) "/" "[Gmail]/Drafts"',
    '(\\HasNoChildren \\Sent) "/" "[Gmail]/Sent Mail"',
    '(\\HasNoChildren \\Trash) "/" "[Gmail]/Trash"',
)
MICROSOFT_FOLDERS_WITHOUT_FLAGS = (
    '(\\HasNoChildren) "/" Archive',
    '(\\HasNoChildren) "/" "Deleted Items"',
    '(\\HasNoChildren) "/" Drafts',
    '(\\Marked \\HasNoChildren) "/" INBOX',
    '(\\HasNoChildren) "/" "Sent Items"',
)


def _free_listener() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


class ScriptedIMAPServer:
    """IMAP as far as a client's connection test goes: the greeting, CAPABILITY, LOGIN or
    AUTHENTICATE answered with ``login_reply`` (XOAUTH2 refusals as Gmail: a JSON challenge
    first), then every other command answered with ``after_login`` (LIST also sends
    ``folders`` first when that is OK)."""

    def __init__(
        self,
        *,
        capabilities: str = GMAIL_CAPABILITIES,
        login_reply: str = "OK Logged in",
        after_login: str = "OK Success",
        folders: tuple[str, ...] = GMAIL_FOLDERS,
    ):
        self.capabilities = capabilities
        self.login_reply = login_reply
        self.after_login = after_login
        self.folders = folders
        self.commands: list[str] = []  # the command names received, in order
        self._listener = _free_listener()
        self.port = self._listener.getsockname()[1]
        self._closed = False

    def __enter__(self) -> "ScriptedIMAPServer":
        threading.Thread(target=self._accept, daemon=True, name="scripted-imap").start()
        return self

    def __exit__(self, *exc) -> None:
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb", buffering=0) as stream:

            def send(line: str) -> None:
                stream.write(line.encode() + b"\r\n")

            send("* OK scripted IMAP ready")
            while line := stream.readline():
                tag, _, rest = line.decode(errors="replace").strip().partition(" ")
                command = rest.split(" ", 1)[0].upper()
                self.commands.append(command)
                if command == "CAPABILITY":
                    send(f"* CAPABILITY {self.capabilities}")
                    send(f"{tag} OK CAPABILITY completed")
                elif command == "LOGIN":
                    send(f"{tag} {self.login_reply}")
                elif command == "AUTHENTICATE":
                    send("+ ")
                    stream.readline()
                    if not self.login_reply.startswith("OK") and "XOAUTH2" in rest.upper():
                        error = b'{"status":"400","schemes":"Bearer","scope":"mail"}'
                        send("+ " + base64.b64encode(error).decode())
                        stream.readline()
                    send(f"{tag} {self.login_reply}")
                elif command == "LOGOUT":
                    send("* BYE")
                    send(f"{tag} OK LOGOUT completed")
                    return
                else:
                    if command == "LIST" and self.after_login.startswith("OK"):
                        for folder in self.folders:
                            send(f"* LIST {folder}")
                    send(f"{tag} {self.after_login}")


class SilentServer:
    """Accepts connections (the kernel does, from its backlog) and never says a word: a
    client waiting for the greeting times out."""

    def __enter__(self) -> "SilentServer":
        self._listener = _free_listener()
        self.port = self._listener.getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        self._listener.close()


def closed_port() -> int:
    """A port nothing listens on (connecting is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
