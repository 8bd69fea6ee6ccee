"""Messages and signals through Duban's own API (the same as POST /engine-rest/message and /signal,
in this API's shapes): for systems that already use /api/v1 and its tokens."""
from engine import events
from web.api.schemas import CorrelatedOut, MessageIn, SignalIn, SignalOut
from web.api.security import api_blueprint, api_user, engine_call, requires

blp = api_blueprint("messages", "", "Deliver a message to a waiting case, or broadcast a signal.")


@blp.route("/messages", methods=["POST"])
@blp.response(200, CorrelatedOut(many=True))
@requires("messages", all_units=True)
@blp.arguments(MessageIn)
def correlate_message(payload):
    """Deliver a message

    To the one instance waiting for it (narrowed by business key, correlation keys — process variables
    that must have these values — or instance id), else starts the one process whose start event waits
    for it. 400 when nothing matches, or several do and `all` is not set. Returns where it went.
    """
    user = api_user()
    results = engine_call(lambda engine: events.correlate(
        engine, payload["name"], user.actor, business_key=payload.get("business_key"),
        correlation_keys=payload.get("correlation_keys") or None, process_instance_id=payload.get("instance_id"),
        variables=payload.get("variables"), all=payload.get("all", False)))
    return [{"instance_id": r.instance_id, "started": r.started} for r in results]


@blp.route("/signals", methods=["POST"])
@blp.response(200, SignalOut)
@requires("messages", all_units=True)
@blp.arguments(SignalIn)
def broadcast_signal(payload):
    """Broadcast a signal

    To every instance waiting for it, and starts every process whose start event waits for it.
    """
    user = api_user()
    count = engine_call(lambda engine: events.broadcast(engine, payload["name"], user.actor,
                                                        variables=payload.get("variables")))
    return {"delivered": count}
