"""Node-to-node federation over HTTP: how nodes prove to each other who sent a request.

Every request between nodes is signed with the sending node's log key (RFC 9421 HTTP
Message Signatures, Ed25519), and the receiver accepts only keys its operator pinned, so a
peer is known by the same key string that auditors pin for its log.
"""
