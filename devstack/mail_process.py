"""The private mail servers as their own process, for the demo and the benchmarks:

    python -m devstack.mail_process

starts Dovecot and the SMTP relay (see mail_servers.py), prints one JSON line with the
settings of each mailbox user (``AIE_IMAP_*`` / ``AIE_SMTP_*``), and runs until SIGTERM
or until its standard input closes; then it stops both and removes the mail folder.
"""

from __future__ import annotations

import json
import sys

from devstack.lifetime import wait_for_stop
from devstack.mail_servers import MailServers


def main() -> int:
    with MailServers() as mail:
        users = {user: mail.settings_env(user) for user in mail.users}
        print(json.dumps({"users": users, "ca_file": str(mail.ca_file)}), flush=True)
        wait_for_stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
