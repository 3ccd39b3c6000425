"""What the bokmål tests share."""


def login_nb(client, user):
    """``client`` logged in as ``user``, who chose bokmål for their pages."""
    user.language = "nb"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client
