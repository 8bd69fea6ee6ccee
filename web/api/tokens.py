"""API tokens, for administrators (the same as `flask --app web api-token ...`)."""
from domain.api_tokens import create_token, find_token, list_tokens, revoke_token
from web.api.paging import ID
from web.api.schemas import TokenCreated, TokenIn, TokenOut, TokenQuery
from web.api.security import api_blueprint, api_user, requires
from web.extensions import db

blp = api_blueprint("tokens", "tokens", "API tokens for other systems (administrators).")
ADMIN = "administrator"


@blp.route("", methods=["GET"])
@blp.response(200, TokenOut(many=True))
@requires("tokens:admin", ADMIN)
@blp.arguments(TokenQuery, location="query")
def list_api_tokens(args):
    """All tokens (never their secrets), oldest first"""
    return list_tokens(db.session, args.get("user"))


@blp.route("", methods=["POST"])
@blp.response(201, TokenCreated)
@requires("tokens:admin", ADMIN)
@blp.arguments(TokenIn)
def create_api_token(payload):
    """Create a token acting as a user; the response shows the secret, once

    Only a SHA-256 hash of the secret is stored.
    """
    token, secret = create_token(db.session, payload["user"], payload["scopes"], api_user().actor,
                                 name=payload.get("name") or "", expires_at=payload.get("expires_at"))
    db.session.commit()
    token.token = secret
    return token


@blp.route(f"/<{ID}:token_id>", methods=["DELETE"])
@blp.response(200, TokenOut)
@requires("tokens:admin", ADMIN)
def revoke_api_token(token_id):
    """Revoke a token (at once; revoking again changes nothing)"""
    find_token(db.session, token_id)
    token = revoke_token(db.session, token_id, api_user().actor)
    db.session.commit()
    return token
