"""The sync of SDRs' mailboxes: ``imap`` (the IMAP it speaks), ``folder`` (one folder from its
cursor), ``mailbox`` (one pass over a mailbox), ``runner`` (the ``mailbox_sync`` process)."""
